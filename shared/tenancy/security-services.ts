/**
 * Everything the security domain contributes to the app, assembled in one place: tenant and key
 * stores, the submission gate and the admin use case dependencies. Production passes the Cosmos DB
 * adapters (shared/cosmos/security-services.ts), tests in-memory ones, so both are wired the same way.
 */
import type { ApiKeyStore } from '../auth/api-key-store.js';
import { CachedTokenUsageReader, type TokenUsageReader } from './budget.js';
import { CachedInFlightCounter } from './cached-in-flight.js';
import type { InFlightCounter } from './in-flight.js';
import type { RateLimiter } from './rate-limiter.js';
import { createSubmissionGate, type SubmissionGate } from './submission-gate.js';
import type { TenantAdminDeps } from './admin.js';
import { CachedTenantReader, type TenantStore } from './store.js';
import type { Clock } from '../time/clock.js';

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
  readonly clock?: Clock;
}

export function assembleSecurityServices(
  parts: {
    tenants: TenantStore;
    keys: ApiKeyStore;
    rateLimiter: RateLimiter;
    inFlight: InFlightCounter;
    usage: TokenUsageReader;
  },
  settings: SecuritySettings,
): SecurityServices {
  const clock = settings.clock ?? Date.now;
  return {
    tenants: parts.tenants,
    keys: parts.keys,
    gate: createSubmissionGate({
      tenants: new CachedTenantReader(parts.tenants, settings.tenantCacheMs ?? 30_000, clock),
      rateLimiter: parts.rateLimiter,
      inFlight:
        settings.inFlightCacheMs === 0
          ? parts.inFlight
          : new CachedInFlightCounter(parts.inFlight, settings.inFlightCacheMs ?? 2_000, clock),
      usage: new CachedTokenUsageReader(parts.usage, 10_000, clock),
      clock,
    }),
    admin: {
      tenants: parts.tenants,
      keys: parts.keys,
      clock,
      apiKeyEnv: settings.apiKeyEnv,
      ...(settings.pepper ? { pepper: settings.pepper } : {}),
    },
  };
}
