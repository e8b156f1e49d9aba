/**
 * Admin API: tenants and their API keys, under /api/v1/admin. adminRoute authenticates and requires
 * the platform admin role; the use cases check it again, so a wiring slip cannot open them up.
 * Responses carrying a new key are `Cache-Control: no-store`: the key is shown once and must not
 * linger in a proxy or browser cache.
 */
import { KeyIdSchema } from '../../shared/auth/api-keys.js';
import {
  createTenant,
  getTenant,
  issueApiKey,
  listApiKeys,
  listTenants,
  revokeApiKey,
  updateTenant,
} from '../../shared/tenancy/admin.js';
import { TenantIdSchema } from '../../shared/tenancy/tenant.js';
import { adminRoute, json, pathParam, readJsonBody } from './context.js';

const NO_STORE = { 'cache-control': 'no-store' };

export const adminCreateTenant = adminRoute(async (scope) => {
  const { value } = await readJsonBody(scope);
  const tenant = await createTenant(scope.principal, value, scope.services.security.admin);
  return json(201, tenant);
});

export const adminListTenants = adminRoute(async (scope) =>
  json(200, { tenants: await listTenants(scope.principal, scope.services.security.admin) }),
);

export const adminGetTenant = adminRoute(async (scope) =>
  json(
    200,
    await getTenant(
      scope.principal,
      pathParam(scope, 'tenantId', TenantIdSchema),
      scope.services.security.admin,
    ),
  ),
);

export const adminUpdateTenant = adminRoute(async (scope) => {
  const { value } = await readJsonBody(scope);
  const tenant = await updateTenant(
    scope.principal,
    pathParam(scope, 'tenantId', TenantIdSchema),
    value,
    scope.services.security.admin,
  );
  return json(200, tenant);
});

export const adminIssueKey = adminRoute(async (scope) => {
  const { value } = await readJsonBody(scope);
  const issued = await issueApiKey(
    scope.principal,
    pathParam(scope, 'tenantId', TenantIdSchema),
    value,
    scope.services.security.admin,
  );
  scope.services.logger.info('apikey.issued', { tenantId: issued.tenantId, keyId: issued.keyId });
  return json(201, issued, NO_STORE);
});

export const adminListKeys = adminRoute(async (scope) =>
  json(200, {
    keys: await listApiKeys(
      scope.principal,
      pathParam(scope, 'tenantId', TenantIdSchema),
      scope.services.security.admin,
    ),
  }),
);

export const adminRevokeKey = adminRoute(async (scope) => {
  const revoked = await revokeApiKey(
    scope.principal,
    pathParam(scope, 'tenantId', TenantIdSchema),
    pathParam(scope, 'keyId', KeyIdSchema),
    scope.services.security.admin,
  );
  scope.services.logger.info('apikey.revoked', { tenantId: revoked.tenantId, keyId: revoked.keyId });
  return json(200, revoked);
});
