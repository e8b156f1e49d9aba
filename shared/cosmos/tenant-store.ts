/**
 * Tenants in the Cosmos `tenants` container (partition key /id): document id `tenant:<tenantId>`, so a
 * tenant read is one point read. The prefix keeps tenant documents apart from `apikey:` and
 * `ratelimit:` documents in the same container. `tenantId` is on the document too, like everywhere.
 */
import type { Container, ItemDefinition } from '@azure/cosmos';
import { ConflictError } from '../errors/index.js';
import type { StoredTenant, TenantStore } from '../tenancy/store.js';
import { TenantSchema, type Tenant } from '../tenancy/tenant.js';

const documentId = (tenantId: string): string => `tenant:${tenantId}`;

interface TenantDocument {
  readonly id: string;
  readonly type: 'tenant';
  readonly tenantId: string;
  readonly tenant: Tenant;
}

function toTenantDocument(tenant: Tenant): TenantDocument {
  return { id: documentId(tenant.id), type: 'tenant', tenantId: tenant.id, tenant };
}

function fromTenantDocument(document: ItemDefinition & Partial<TenantDocument>, etag: string): StoredTenant {
  // Parse on the way out: a hand-edited or older document fails here, loudly, not deep in a use case.
  return { tenant: TenantSchema.parse(document.tenant), etag };
}

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

export class CosmosTenantStore implements TenantStore {
  constructor(private readonly container: Container) {}

  async get(tenantId: string): Promise<StoredTenant | undefined> {
    const id = documentId(tenantId);
    const { resource, etag, statusCode } = await this.container.item(id, id).read<TenantDocument>();
    if (statusCode === 404 || !resource || resource.type !== 'tenant') return undefined;
    return fromTenantDocument(resource, etag);
  }

  async create(tenant: Tenant): Promise<StoredTenant> {
    try {
      const { resource, etag } = await this.container.items.create(toTenantDocument(tenant));
      return fromTenantDocument(resource ?? toTenantDocument(tenant), etag);
    } catch (error) {
      if (statusOf(error) === 409) throw new ConflictError('A tenant with this id exists.');
      throw error;
    }
  }

  async replace(tenant: Tenant, etag: string): Promise<StoredTenant> {
    const id = documentId(tenant.id);
    try {
      const response = await this.container
        .item(id, id)
        .replace(toTenantDocument(tenant), { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromTenantDocument(response.resource ?? toTenantDocument(tenant), response.etag);
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 404) {
        throw new ConflictError('The tenant changed since it was read; read it again.');
      }
      throw error;
    }
  }

  async list(): Promise<Tenant[]> {
    // Cross-partition (one partition per tenant): admin-only.
    const { resources } = await this.container.items
      .query<TenantDocument>({
        query: 'SELECT * FROM c WHERE c.type = @type',
        parameters: [{ name: '@type', value: 'tenant' }],
      })
      .fetchAll();
    return resources.map((d) => TenantSchema.parse(d.tenant)).sort((a, b) => a.id.localeCompare(b.id));
  }
}
