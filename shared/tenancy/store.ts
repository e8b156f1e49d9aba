/**
 * Tenant store port and its in-memory fake. Updates are ETag-guarded, like the Cosmos implementation:
 * two admins editing one tenant cannot silently overwrite each other.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors/index.js';
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

export class InMemoryTenantStore implements TenantStore {
  private readonly tenants = new Map<string, StoredTenant>();

  get(tenantId: string): Promise<StoredTenant | undefined> {
    return Promise.resolve(this.tenants.get(tenantId));
  }

  create(tenant: Tenant): Promise<StoredTenant> {
    if (this.tenants.has(tenant.id))
      return Promise.reject(new ConflictError('A tenant with this id exists.'));
    const stored = { tenant, etag: randomUUID() };
    this.tenants.set(tenant.id, stored);
    return Promise.resolve(stored);
  }

  replace(tenant: Tenant, etag: string): Promise<StoredTenant> {
    const current = this.tenants.get(tenant.id);
    if (!current || current.etag !== etag) {
      return Promise.reject(new ConflictError('The tenant changed since it was read; read it again.'));
    }
    const stored = { tenant, etag: randomUUID() };
    this.tenants.set(tenant.id, stored);
    return Promise.resolve(stored);
  }

  list(): Promise<Tenant[]> {
    return Promise.resolve(
      [...this.tenants.values()].map((s) => s.tenant).sort((a, b) => a.id.localeCompare(b.id)),
    );
  }
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
