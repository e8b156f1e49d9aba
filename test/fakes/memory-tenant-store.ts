/** In-memory TenantStore, ETag-guarded like the Cosmos implementation. */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../shared/errors/index.js';
import type { StoredTenant, TenantStore } from '../../shared/tenancy/store.js';
import type { Tenant } from '../../shared/tenancy/tenant.js';

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
