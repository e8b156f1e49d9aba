/**
 * The API key store port. Implementations (shared/cosmos/api-key-store.ts, the in-memory fake in
 * test/fakes) follow one contract: create refuses a duplicate id (409), revoke is idempotent and keeps
 * the first revokedAt.
 */
import type { ApiKeyLookup, ApiKeyRecord } from './api-keys.js';

export interface ApiKeyStore extends ApiKeyLookup {
  create(record: ApiKeyRecord): Promise<void>;
  /** Marks the key revoked; returns the updated record, or undefined when no such key exists. */
  revoke(keyId: string, at: Date): Promise<ApiKeyRecord | undefined>;
  listByTenant(tenantId: string): Promise<ApiKeyRecord[]>;
}
