/**
 * Everything the security domain contributes to the app, assembled in one place: tenant and key
 * stores, the submission gate and the admin use case dependencies. One factory for Cosmos (the
 * composition root) and one for in-memory fakes (tests), so both are wired the same way.
 */
import type { Database } from '@azure/cosmos';
import { InMemoryApiKeyStore, type ApiKeyStore } from '../auth/api-key-store.js';
import { CosmosApiKeyStore } from '../auth/cosmos-api-key-store.js';
import { CachedTokenUsageReader, type TokenUsageReader } from '../limits/budget.js';
import { CosmosJobUsage } from '../limits/cosmos-job-usage.js';
import { CosmosRateLimiter } from '../limits/cosmos-rate-limiter.js';
import type { InFlightCounter } from '../limits/in-flight.js';
import { InMemoryRateLimiter, type RateLimiter } from '../limits/rate-limiter.js';
import { createSubmissionGate, type SubmissionGate } from '../limits/submission-gate.js';
import type { TenantAdminDeps } from './admin.js';
import { CosmosTenantStore } from './cosmos-store.js';
import { CachedTenantReader, InMemoryTenantStore, type TenantStore } from './store.js';

export interface SecurityServices {
  readonly tenants: TenantStore;
  readonly keys: ApiKeyStore;
  readonly gate: SubmissionGate;
  readonly admin: TenantAdminDeps;
}

export interface SecuritySettings {
  /** `apiKeyEnvLabel(config.PIPELINE_ENVIRONMENT)` */
  readonly apiKeyEnv: string;
  readonly pepper?: string;
  /** How stale a tenant record may be on the hot path (quota changes, suspension). */
  readonly tenantCacheMs?: number;
  readonly now?: () => number;
}

function assemble(
  parts: {
    tenants: TenantStore;
    keys: ApiKeyStore;
    rateLimiter: RateLimiter;
    inFlight: InFlightCounter;
    usage: TokenUsageReader;
  },
  settings: SecuritySettings,
): SecurityServices {
  const now = settings.now ?? Date.now;
  return {
    tenants: parts.tenants,
    keys: parts.keys,
    gate: createSubmissionGate({
      tenants: new CachedTenantReader(parts.tenants, settings.tenantCacheMs ?? 30_000, now),
      rateLimiter: parts.rateLimiter,
      inFlight: parts.inFlight,
      usage: new CachedTokenUsageReader(parts.usage, 10_000, now),
      now,
    }),
    admin: {
      tenants: parts.tenants,
      keys: parts.keys,
      now: () => new Date(now()),
      apiKeyEnv: settings.apiKeyEnv,
      ...(settings.pepper ? { pepper: settings.pepper } : {}),
    },
  };
}

/** Production: tenants, keys and rate buckets in `tenants`; in-flight and usage from `jobs`. */
export function createCosmosSecurityServices(
  database: Database,
  settings: SecuritySettings,
): SecurityServices {
  const tenantsContainer = database.container('tenants');
  const usage = new CosmosJobUsage(database.container('jobs'));
  return assemble(
    {
      tenants: new CosmosTenantStore(tenantsContainer),
      keys: new CosmosApiKeyStore(tenantsContainer),
      rateLimiter: new CosmosRateLimiter(tenantsContainer),
      inFlight: usage,
      usage,
    },
    settings,
  );
}

/** Tests and single-process tools: in-memory stores; in-flight and usage supplied by the caller. */
export function createInMemorySecurityServices(
  settings: SecuritySettings & { inFlight: InFlightCounter; usage: TokenUsageReader },
): SecurityServices & { keys: InMemoryApiKeyStore } {
  const keys = new InMemoryApiKeyStore();
  return {
    ...assemble(
      {
        tenants: new InMemoryTenantStore(),
        keys,
        rateLimiter: new InMemoryRateLimiter(),
        inFlight: settings.inFlight,
        usage: settings.usage,
      },
      settings,
    ),
    keys,
  };
}
