/**
 * Who is calling, after authentication. Every use case takes a Principal and scopes its work to
 * `principal.tenantId`; nothing downstream trusts a tenant id from the request body or a header.
 */
import { ForbiddenError } from '../errors/index.js';

/** `jobs`: submit, read, list, cancel and replay the tenant's own jobs. `admin`: manage tenants and keys. */
export type PlatformRole = 'jobs' | 'admin';

export interface Principal {
  readonly tenantId: string;
  readonly kind: 'apiKey' | 'entra';
  readonly roles: readonly PlatformRole[];
  /** Set for API keys: which key, so logs and audits can name it without the secret. */
  readonly keyId?: string;
  /** Set for Entra: the object id of the calling app or user (`oid`), for audit logs. */
  readonly subject?: string;
}

export function hasRole(principal: Principal, role: PlatformRole): boolean {
  return principal.roles.includes(role);
}

/** Throws 403 unless the principal holds `role`. */
export function requireRole(principal: Principal, role: PlatformRole): void {
  if (!hasRole(principal, role)) {
    throw new ForbiddenError(
      role === 'admin'
        ? 'This operation needs the platform admin role.'
        : 'This operation needs the jobs role.',
    );
  }
}
