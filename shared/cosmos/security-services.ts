/** The security services over Cosmos DB: the one wiring the composition root uses. */
import type { Database } from '@azure/cosmos';
import {
  assembleSecurityServices,
  type SecurityServices,
  type SecuritySettings,
} from '../tenancy/security-services.js';
import { CosmosApiKeyStore } from './api-key-store.js';
import { CosmosJobUsage } from './job-usage.js';
import { CosmosRateLimiter } from './rate-limiter.js';
import { CosmosTenantStore } from './tenant-store.js';

/**
 * Production: tenants, keys and rate counters in `tenants`; in-flight and usage from `jobs`. Per
 * submission on the happy path this costs about 1/chunk rate-limit patches and no query: tenant (30 s),
 * in-flight count (2 s) and budget (10 s) come from per-instance caches (docs/security.md).
 */
export function createCosmosSecurityServices(
  database: Database,
  settings: SecuritySettings,
): SecurityServices {
  const tenantsContainer = database.container('tenants');
  const usage = new CosmosJobUsage(database.container('jobs'));
  return assembleSecurityServices(
    {
      tenants: new CosmosTenantStore(tenantsContainer),
      keys: new CosmosApiKeyStore(tenantsContainer),
      rateLimiter: new CosmosRateLimiter(
        tenantsContainer,
        settings.rateLeaseMaxChunk === undefined ? {} : { maxChunk: settings.rateLeaseMaxChunk },
      ),
      inFlight: usage,
      usage,
    },
    settings,
  );
}
