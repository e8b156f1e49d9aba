/**
 * Microsoft Entra ID access token validation. What is checked, and why:
 * - signature: RS256 only (Entra signs access tokens with RS256); `alg: none`, HS* (the classic
 *   "public key used as HMAC secret" confusion) and everything else are refused before any key lookup;
 * - issuer: an explicit list, v2 `https://login.microsoftonline.com/{tid}/v2.0` and/or v1
 *   `https://sts.windows.net/{tid}/`; the token's `tid` must also be the one in its issuer;
 * - audience: our App ID URI (v1 tokens) or client id (v2 tokens);
 * - exp (required) and nbf with a small clock skew;
 * - authorization: the app role (`roles`, app-only tokens) or delegated scope (`scp`) for jobs, or the
 *   admin app role; then the caller (tid + appid/azp, or tid + oid) must map to a platform tenant.
 * Failures are 401 (who are you?) or 403 (you may not) with details that say nothing about our setup;
 * the jose error stays as `cause` for server-side logs only.
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { ForbiddenError, UnauthorizedError, isPlatformError } from '../errors/index.js';
import type { JwksCache } from './jwks.js';
import type { PlatformRole, Principal } from './principal.js';
import type { Clock } from '../time/clock.js';

/** One mapping from an Entra caller to a platform tenant. Exactly one of appId or oid identifies the caller. */
export interface EntraTenantMapping {
  /** Entra directory (tenant) id the caller lives in. */
  readonly tid: string;
  /** Client application id (`azp` in v2 tokens, `appid` in v1): every user or daemon of that app. */
  readonly appId?: string;
  /** Object id of one service principal or user (`oid`). */
  readonly oid?: string;
  /** The platform tenant the caller acts for. */
  readonly tenantId: string;
}

export interface EntraVerifierOptions {
  readonly jwks: Pick<JwksCache, 'getKey'>;
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly requiredRole: string;
  readonly requiredScope: string;
  readonly adminRole: string;
  readonly tenantMap: readonly EntraTenantMapping[];
  readonly clockSkewSeconds?: number;
  /** Tests pin the clock; production uses the wall clock. */
  readonly clock?: Clock;
}

export interface EntraVerifier {
  verify(token: string): Promise<Principal>;
}

const INVALID = 'The bearer token is invalid or expired.';

export function createEntraVerifier(options: EntraVerifierOptions): EntraVerifier {
  if (options.issuers.length === 0 || options.audiences.length === 0) {
    throw new Error('Entra verification needs at least one issuer and one audience');
  }
  return {
    async verify(token) {
      const payload = await verifySignatureAndClaims(token, options);
      const roles = platformRoles(payload, options);
      if (roles.length === 0)
        throw new ForbiddenError('The token lacks the role or scope this API requires.');
      const tenantId = mapToTenant(payload, options.tenantMap);
      if (!tenantId) throw new ForbiddenError('The caller is not registered with a platform tenant.');
      const subject = typeof payload.oid === 'string' ? payload.oid : undefined;
      return { tenantId, kind: 'entra', roles, ...(subject ? { subject } : {}) };
    },
  };
}

async function verifySignatureAndClaims(token: string, options: EntraVerifierOptions): Promise<JWTPayload> {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch (error) {
    throw new UnauthorizedError(INVALID, { cause: error });
  }
  // Refuse before touching the JWKS: junk tokens must not cost us a key lookup or a refetch.
  if (alg !== 'RS256')
    throw new UnauthorizedError(INVALID, { cause: new Error(`alg ${String(alg)} refused`) });
  try {
    const { payload } = await jwtVerify(token, options.jwks.getKey, {
      algorithms: ['RS256'],
      issuer: [...options.issuers],
      audience: [...options.audiences],
      clockTolerance: options.clockSkewSeconds ?? 60,
      requiredClaims: ['exp', 'tid'],
      ...(options.clock ? { currentDate: new Date(options.clock()) } : {}),
    });
    if (typeof payload.tid !== 'string' || !payload.iss?.includes(`/${payload.tid}/`)) {
      throw new UnauthorizedError(INVALID, { cause: new Error('tid does not match issuer') });
    }
    return payload;
  } catch (error) {
    // An unavailable JWKS is ours to fix (503-ish RetryAfterError), not the caller's fault.
    if (isPlatformError(error)) throw error;
    if (error instanceof errors.JOSEError || error instanceof TypeError) {
      throw new UnauthorizedError(INVALID, { cause: error });
    }
    throw error;
  }
}

function platformRoles(payload: JWTPayload, options: EntraVerifierOptions): PlatformRole[] {
  const appRoles = Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : [];
  const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
  const roles: PlatformRole[] = [];
  if (appRoles.includes(options.requiredRole) || scopes.includes(options.requiredScope)) roles.push('jobs');
  // Admin only as an app role (assigned by a directory admin), never as a scope a user can consent to.
  if (appRoles.includes(options.adminRole)) roles.push('admin');
  return roles;
}

function mapToTenant(payload: JWTPayload, tenantMap: readonly EntraTenantMapping[]): string | undefined {
  const tid = payload.tid;
  const appId = typeof payload.azp === 'string' ? payload.azp : payload.appid;
  const oid = payload.oid;
  // A specific principal wins over "every caller of this app".
  const byOid = tenantMap.find((m) => m.oid !== undefined && m.tid === tid && m.oid === oid);
  if (byOid) return byOid.tenantId;
  return tenantMap.find((m) => m.appId !== undefined && m.tid === tid && m.appId === appId)?.tenantId;
}
