/** A valid tenant record for tests, with overrides. */
import { TenantQuotasSchema, type Tenant, type TenantQuotas } from '../../shared/tenancy/tenant.js';

export function tenantFixture(
  id: string,
  overrides: Partial<Omit<Tenant, 'quotas'>> & { quotas?: Partial<TenantQuotas> } = {},
): Tenant {
  const { quotas, ...rest } = overrides;
  return {
    id,
    name: `Tenant ${id}`,
    status: 'active',
    allowedModels: ['gpt-4o-mini'],
    quotas: TenantQuotasSchema.parse(quotas ?? {}),
    webhookEndpointIds: [],
    retentionDays: 30,
    createdAt: '2026-11-25T00:00:00.000Z',
    updatedAt: '2026-11-25T00:00:00.000Z',
    ...rest,
  };
}
