/**
 * Tenant store port and its read-through cache. Updates are ETag-guarded (shared/cosmos/tenant-store.ts,
 * and the in-memory fake in test/fakes): two admins editing one tenant cannot silently overwrite each other.
 */
import type { Tenant } from './tenant.js';
import type { Clock } from '../time/clock.js';

export interface StoredTenant {
  readonly tenant: Tenant;
  readonly etag: string;
}

export interface TenantStore {
  get(tenantId: string): Promise<StoredTenant | undefined>;
  /** 409 ConflictError when the id is taken. */
  create(tenant: Tenant): Promise<StoredTenant>;
  /** 409 ConflictError when `etag` is no longer current. */
  replace(tenant: Tenant, etag: string): Promise<StoredTenant>;
  list(): Promise<Tenant[]>;
}

/**
 * Read-through cache for the hot path (every submission reads its tenant's quotas). A suspension or
 * quota change takes effect within `ttlMs` on every instance; API key revocation is NOT cached.
 * Concurrent misses for one tenant share one read (no burst of identical reads when the entry expires
 * under load).
 */
export class CachedTenantReader {
  private readonly cache = new Map<string, { value: Tenant | undefined; atMs: number }>();
  private readonly reads = new Map<string, Promise<Tenant | undefined>>();

  constructor(
    private readonly store: Pick<TenantStore, 'get'>,
    private readonly ttlMs = 30_000,
    private readonly clock: Clock = Date.now,
  ) {}

  async get(tenantId: string): Promise<Tenant | undefined> {
    const hit = this.cache.get(tenantId);
    if (hit && this.clock() - hit.atMs < this.ttlMs) return hit.value;
    const pending = this.reads.get(tenantId);
    if (pending) return pending;
    const read = this.store
      .get(tenantId)
      .then((stored) => {
        this.cache.set(tenantId, { value: stored?.tenant, atMs: this.clock() });
        return stored?.tenant;
      })
      .finally(() => this.reads.delete(tenantId));
    this.reads.set(tenantId, read);
    return read;
  }
}
