/**
 * Fake stage dependencies behind the tenant submission gate: in-memory security services that count
 * in-flight jobs and token usage from the stage's own job store, on the stage's clock, with one tenant
 * created by a platform admin.
 */
import type { Principal } from '../../shared/auth/principal.js';
import { createTenant } from '../../shared/tenancy/admin.js';
import type { SecuritySettings } from '../../shared/tenancy/security-services.js';
import { JobStoreUsage } from './job-store-usage.js';
import { createInMemorySecurityServices } from './security-services.js';
import { fakeStage } from './stage-deps.js';

const platformAdmin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };

export interface GatedStageOptions {
  /** The tenant as an admin would create it (CreateTenantInput). */
  readonly tenant: unknown;
  /** The gate's caches: 0 reads every change at once. */
  readonly security: Pick<SecuritySettings, 'tenantCacheMs' | 'inFlightCacheMs'>;
}

export async function gatedStage(options: GatedStageOptions) {
  const stage = fakeStage();
  const usage = new JobStoreUsage(stage.jobs);
  const security = createInMemorySecurityServices({
    apiKeyEnv: 'test',
    inFlight: usage,
    usage,
    clock: () => stage.now,
    ...options.security,
  });
  await createTenant(platformAdmin, options.tenant, security.admin);
  return { stage, security };
}
