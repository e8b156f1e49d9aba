/** In-memory ApiKeyStore with the Cosmos implementation's contract (shared/auth/api-key-store.ts). */
import type { ApiKeyStore } from '../../shared/auth/api-key-store.js';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.js';
import { ConflictError } from '../../shared/errors/index.js';

export class InMemoryApiKeyStore implements ApiKeyStore {
  private readonly records = new Map<string, ApiKeyRecord>();

  get(keyId: string): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(this.records.get(keyId));
  }

  create(record: ApiKeyRecord): Promise<void> {
    if (this.records.has(record.keyId))
      return Promise.reject(new ConflictError('API key id already exists.'));
    this.records.set(record.keyId, record);
    return Promise.resolve();
  }

  revoke(keyId: string, at: Date): Promise<ApiKeyRecord | undefined> {
    const record = this.records.get(keyId);
    if (!record) return Promise.resolve(undefined);
    const revoked = record.revokedAt ? record : { ...record, revokedAt: at.toISOString() };
    this.records.set(keyId, revoked);
    return Promise.resolve(revoked);
  }

  listByTenant(tenantId: string): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.records.values()].filter((r) => r.tenantId === tenantId));
  }

  /** Test helper: everything the store holds, to assert no secret was ever written. */
  dump(): ApiKeyRecord[] {
    return [...this.records.values()];
  }
}
