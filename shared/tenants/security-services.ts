/**
 * Everything the security domain contributes to the app, assembled in one place: tenant and key
 * stores, the submission gate and the admin use case dependencies. One factory for Cosmos (the
 * composition root) and one for in-memory fakes (tests), so both are wired the same way.
 */
import type { Database } from '@azure/cosmos';
import { InMemoryApiKeyStore, type ApiKeyStore } from '../auth/api-key-store.js';
import { CosmosApiKeyStore } from '../auth/cosmos-api-key-store.js';
import { CachedTokenUsageReader, type TokenUsageReader } from '../limits/budget.js';
import { CachedInFlightCounter } from '../limits/cached-in-flight.js';
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
  /**
   * How long each instance reuses a tenant's jobs-in-flight count, adding its own admissions since
   * (default 2 s; 0 queries on every submission). See cached-in-flight.ts for the bound.
   */
  readonly inFlightCacheMs?: number;
  /** Largest rate-limit lease per Cosmos patch (default 10; 1 = one patch per submission). */
  readonly rateLeaseMaxChunk?: number;
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
      inFlight:
        settings.inFlightCacheMs === 0
          ? parts.inFlight
          : new CachedInFlightCounter(parts.inFlight, settings.inFlightCacheMs ?? 2_000, now),
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
  return assemble(
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
