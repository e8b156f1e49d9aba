/**
 * The fleet's model quota leases in the Cosmos `tenants` container (partition key /id), one document
 * per deployment, `modelquota:<deployment>` (shared/model/coordination/lease-document.ts), beside the
 * `ratelimit:` counters that coordinate submissions the same way. Point reads and ETag-guarded
 * replaces only, each in its own logical partition: no query, no cross-partition work.
 *
 * Every operation is counted with its request charge and document size, so the coordination's cost
 * per model call and per 1,000 tokens can be measured (bench/fleet-quota.ts).
 */
import type { Container } from '@azure/cosmos';
import {
  leaseDocumentId,
  QuotaLeaseDocumentSchema,
  type QuotaLeaseDocument,
} from '../model/coordination/lease-document.js';
import {
  LeaseConflictError,
  type LeaseStoreStats,
  type QuotaLeaseStore,
  type StoredLease,
} from '../model/coordination/lease-store.js';

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

const sizeOf = (document: unknown): number => Buffer.byteLength(JSON.stringify(document));

export class CosmosQuotaLeaseStore implements QuotaLeaseStore {
  private counts = {
    reads: 0,
    writes: 0,
    conflicts: 0,
    failures: 0,
    requestCharge: 0,
    bytesRead: 0,
    bytesWritten: 0,
  };

  constructor(private readonly container: Container) {}

  async read(deployment: string): Promise<StoredLease | undefined> {
    const id = leaseDocumentId(deployment);
    this.counts.reads += 1;
    try {
      const response = await this.container.item(id, id).read<QuotaLeaseDocument>();
      this.counts.requestCharge += response.requestCharge ?? 0;
      if (response.statusCode === 404 || !response.resource) return undefined;
      this.counts.bytesRead += sizeOf(response.resource);
      return { document: QuotaLeaseDocumentSchema.parse(response.resource), etag: response.etag };
    } catch (error) {
      this.counts.failures += 1;
      throw error;
    }
  }

  async create(document: QuotaLeaseDocument): Promise<StoredLease> {
    return this.write(document, () => this.container.items.create(document));
  }

  async replace(document: QuotaLeaseDocument, etag: string): Promise<StoredLease> {
    const id = leaseDocumentId(document.deployment);
    return this.write(document, () =>
      this.container
        .item(id, id)
        .replace(document, { accessCondition: { type: 'IfMatch', condition: etag } }),
    );
  }

  stats(): LeaseStoreStats {
    return { ...this.counts };
  }

  private async write(
    document: QuotaLeaseDocument,
    send: () => Promise<{ etag: string; requestCharge: number }>,
  ): Promise<StoredLease> {
    this.counts.writes += 1;
    this.counts.bytesWritten += sizeOf(document);
    try {
      const response = await send();
      this.counts.requestCharge += response.requestCharge ?? 0;
      return { document, etag: response.etag };
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 409) {
        this.counts.conflicts += 1;
        throw new LeaseConflictError();
      }
      this.counts.failures += 1;
      throw error;
    }
  }
}
