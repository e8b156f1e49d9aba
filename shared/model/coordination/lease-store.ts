/**
 * The coordination store's port: point read, create and ETag-guarded replace of one lease document
 * per deployment (shared/cosmos/quota-lease-store.ts in Azure). Every operation is counted, so the
 * cost of coordination can be measured per model call and per token.
 */
import type { QuotaLeaseDocument } from './lease-document.js';

export interface StoredLease {
  readonly document: QuotaLeaseDocument;
  readonly etag: string;
}

/** Another instance wrote first (412 on replace, 409 on create): read again and decide again. */
export class LeaseConflictError extends Error {
  constructor(message = 'The lease document changed since it was read') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

export interface LeaseStoreStats {
  readonly reads: number;
  readonly writes: number;
  readonly conflicts: number;
  readonly failures: number;
  /** Request units as the store reported them (the local emulator reports 1 per operation). */
  readonly requestCharge: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export interface QuotaLeaseStore {
  read(deployment: string): Promise<StoredLease | undefined>;
  /** Throws LeaseConflictError when the document already exists. */
  create(document: QuotaLeaseDocument): Promise<StoredLease>;
  /** Throws LeaseConflictError when the document's ETag is no longer `etag`. */
  replace(document: QuotaLeaseDocument, etag: string): Promise<StoredLease>;
  stats(): LeaseStoreStats;
}
