/**
 * The security domain's services for HTTP handlers. Built lazily from the composition root's Cosmos
 * database (`extensions.cosmosDatabase`) the first time a handler needs them, once per AppServices;
 * tests and the dev host may inject their own as `extensions.security`.
 */
import type { Database } from '@azure/cosmos';
import { apiKeyEnvLabel } from '../../shared/auth/api-keys.js';
import { ConfigurationError } from '../../shared/errors/index.js';
import {
  createCosmosSecurityServices,
  type SecurityServices,
} from '../../shared/tenants/security-services.js';
import type { AppServices } from '../app-services.js';

const built = new WeakMap<AppServices, SecurityServices>();

/**
 * Structural, not `instanceof Database`: a value import of @azure/cosmos here would load the whole SDK
 * (~400 modules) when the Functions host imports the registrations, long before a client is needed
 * (start-up benchmark, bench/startup.ts).
 */
const isCosmosDatabase = (value: unknown): value is Database =>
  typeof value === 'object' && value !== null && typeof (value as Database).container === 'function';

function isSecurityServices(value: unknown): value is SecurityServices {
  return (
    typeof value === 'object' && value !== null && 'gate' in value && 'admin' in value && 'tenants' in value
  );
}

export function securityOf(services: AppServices): SecurityServices {
  const injected = services.extensions.security;
  if (isSecurityServices(injected)) return injected;
  const existing = built.get(services);
  if (existing) return existing;
  const database = services.extensions.cosmosDatabase;
  if (!isCosmosDatabase(database)) {
    throw new ConfigurationError('Tenant services are not configured.', 30_000);
  }
  const security = createCosmosSecurityServices(database, {
    apiKeyEnv: apiKeyEnvLabel(services.config.PIPELINE_ENVIRONMENT),
    ...(services.config.API_KEY_PEPPER ? { pepper: services.config.API_KEY_PEPPER } : {}),
  });
  built.set(services, security);
  return security;
}
