import { InMemoryApiKeyStore } from './memory-api-key-store.js';
import type { TokenUsageReader } from '../../shared/tenancy/budget.js';
import type { InFlightCounter } from '../../shared/tenancy/in-flight.js';
import { InMemoryRateLimiter } from './memory-rate-limiter.js';
import {
  assembleSecurityServices,
  type SecurityServices,
  type SecuritySettings,
} from '../../shared/tenancy/security-services.js';
import { InMemoryTenantStore } from './memory-tenant-store.js';

/** In-memory stores; in-flight and usage supplied by the caller. */
export function createInMemorySecurityServices(
  settings: SecuritySettings & { inFlight: InFlightCounter; usage: TokenUsageReader },
): SecurityServices & { keys: InMemoryApiKeyStore } {
  const keys = new InMemoryApiKeyStore();
  return {
    ...assembleSecurityServices(
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
