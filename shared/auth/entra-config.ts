/**
 * Builds the Entra verifier from configuration, or nothing when Entra is not configured (API keys only).
 * ENTRA_TENANT_MAP is JSON inside an environment variable, so it is validated here, naming the variable.
 */
import { z } from 'zod';
import { InvalidEnvironmentError, type Config } from '../config/index.js';
import { createEntraVerifier, type EntraVerifier } from './entra.js';
import { JwksCache, type JwksFetcher } from './jwks.js';

const TenantMapSchema = z.array(
  z
    .strictObject({
      tid: z.string().min(1),
      appId: z.string().min(1).optional(),
      oid: z.string().min(1).optional(),
      tenantId: z.string().min(1),
    })
    .refine((m) => (m.appId === undefined) !== (m.oid === undefined), {
      message: 'set exactly one of appId, oid',
    }),
);

export type EntraSettings = Pick<
  Config,
  | 'ENTRA_TENANT_ID'
  | 'ENTRA_AUDIENCE'
  | 'ENTRA_ALLOWED_ISSUERS'
  | 'ENTRA_JWKS_URL'
  | 'ENTRA_REQUIRED_ROLE'
  | 'ENTRA_REQUIRED_SCOPE'
  | 'ENTRA_ADMIN_ROLE'
  | 'ENTRA_TENANT_MAP'
  | 'ENTRA_CLOCK_SKEW_SECONDS'
  | 'ENTRA_JWKS_REFETCH_COOLDOWN_SECONDS'
>;

export function parseTenantMap(raw: string): z.infer<typeof TenantMapSchema> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidEnvironmentError(['ENTRA_TENANT_MAP'], 'ENTRA_TENANT_MAP: not valid JSON');
  }
  const parsed = TenantMapSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidEnvironmentError(
      ['ENTRA_TENANT_MAP'],
      `ENTRA_TENANT_MAP: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

export function entraVerifierFromConfig(
  config: EntraSettings,
  fetchJwks?: JwksFetcher,
): EntraVerifier | undefined {
  const tid = config.ENTRA_TENANT_ID;
  if (!tid) return undefined;
  const audiences = list(config.ENTRA_AUDIENCE);
  if (audiences.length === 0) {
    throw new InvalidEnvironmentError(
      ['ENTRA_AUDIENCE'],
      'ENTRA_AUDIENCE: required when ENTRA_TENANT_ID is set',
    );
  }
  const issuers = config.ENTRA_ALLOWED_ISSUERS
    ? list(config.ENTRA_ALLOWED_ISSUERS)
    : [`https://login.microsoftonline.com/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
  const jwks = new JwksCache({
    url: config.ENTRA_JWKS_URL ?? `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`,
    refetchCooldownMs: config.ENTRA_JWKS_REFETCH_COOLDOWN_SECONDS * 1000,
    ...(fetchJwks ? { fetchJwks } : {}),
  });
  return createEntraVerifier({
    jwks,
    issuers,
    audiences,
    requiredRole: config.ENTRA_REQUIRED_ROLE,
    requiredScope: config.ENTRA_REQUIRED_SCOPE,
    adminRole: config.ENTRA_ADMIN_ROLE,
    tenantMap: parseTenantMap(config.ENTRA_TENANT_MAP),
    clockSkewSeconds: config.ENTRA_CLOCK_SKEW_SECONDS,
  });
}
