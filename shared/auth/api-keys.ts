/**
 * Per-tenant API keys: `pp_<env>_<keyId>_<secret>`.
 * - `keyId`: 12 random bytes, hex. Not secret: it names the key in logs, the admin API and the store,
 *   and makes verification ONE point read (document id `apikey:<keyId>`), no scan, no index on hashes.
 * - `secret`: 32 random bytes (256 bits), base64url. Shown once, at issue time; never stored.
 * - Stored: a hash of `<keyId>.<secret>` (binding the hash to its key id). SHA-256 is enough for a
 *   uniformly random 256-bit secret: slow password hashes (bcrypt, scrypt) exist to protect
 *   low-entropy human passwords from guessing, and there is nothing to guess here; a slow hash would
 *   only add latency to every request. With API_KEY_PEPPER configured the hash is HMAC-SHA256 keyed by
 *   the pepper, so a leaked database alone cannot even confirm a candidate key.
 * - Compared in constant time; a revoked key or unknown id fails exactly like a wrong secret.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors/index.js';
import type { Principal } from './principal.js';

export const API_KEY_PATTERN = /^pp_([a-z]{2,8})_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;
/** Cheap syntactic test used to route `Authorization: Bearer pp_...` to key verification. */
export const looksLikeApiKey = (value: string): boolean => value.startsWith('pp_');

export type HashScheme = 'sha256' | 'hmac-sha256';

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  /** Environment label in the key (`live`, `test`): a test key never works against production. */
  readonly env: string;
  /** `pp_<env>_<keyId>`: safe to display; identifies the key without revealing it. */
  readonly prefix: string;
  /** Human label chosen at issue time, e.g. "ci-pipeline". */
  readonly name: string;
  readonly hash: string;
  readonly hashScheme: HashScheme;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface ParsedApiKey {
  readonly env: string;
  readonly keyId: string;
  readonly secret: string;
}

export function parseApiKey(value: string): ParsedApiKey | undefined {
  const match = API_KEY_PATTERN.exec(value);
  if (!match) return undefined;
  const [, env, keyId, secret] = match;
  return env && keyId && secret ? { env, keyId, secret } : undefined;
}

export function hashApiKeySecret(
  keyId: string,
  secret: string,
  pepper?: string,
): { hash: string; hashScheme: HashScheme } {
  const input = `${keyId}.${secret}`;
  return pepper
    ? { hash: createHmac('sha256', pepper).update(input).digest('base64url'), hashScheme: 'hmac-sha256' }
    : { hash: createHash('sha256').update(input).digest('base64url'), hashScheme: 'sha256' };
}

function hashWithScheme(
  keyId: string,
  secret: string,
  scheme: HashScheme,
  pepper?: string,
): string | undefined {
  if (scheme === 'hmac-sha256' && !pepper) return undefined;
  return hashApiKeySecret(keyId, secret, scheme === 'hmac-sha256' ? pepper : undefined).hash;
}

export interface NewApiKey {
  /** The full key. Return it to the caller once; it cannot be recovered later. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export function generateApiKey(input: {
  tenantId: string;
  env: string;
  name: string;
  now: Date;
  pepper?: string;
}): NewApiKey {
  if (!/^[a-z]{2,8}$/.test(input.env)) throw new Error('API key env label must be 2-8 lowercase letters');
  const keyId = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const prefix = `pp_${input.env}_${keyId}`;
  return {
    key: `${prefix}_${secret}`,
    record: {
      keyId,
      tenantId: input.tenantId,
      env: input.env,
      prefix,
      name: input.name,
      ...hashApiKeySecret(keyId, secret, input.pepper),
      createdAt: input.now.toISOString(),
    },
  };
}

/** What verification needs from the key store: one point read by key id. */
export interface ApiKeyLookup {
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
}

export interface ApiKeyVerifier {
  verify(presented: string): Promise<Principal>;
}

const INVALID = 'The API key is invalid or revoked.';
/** Compared against when the key id is unknown, so that path costs the same hash + compare. */
const DUMMY_HASH = createHash('sha256').update('no such key').digest('base64url');

export function createApiKeyVerifier(options: {
  store: ApiKeyLookup;
  /** Only keys minted for this environment label are accepted. */
  expectedEnv: string;
  pepper?: string;
}): ApiKeyVerifier {
  return {
    async verify(presented) {
      const parsed = parseApiKey(presented);
      if (!parsed || parsed.env !== options.expectedEnv) throw new UnauthorizedError(INVALID);
      const record = await options.store.get(parsed.keyId);
      const expected = record?.hash ?? DUMMY_HASH;
      const actual =
        hashWithScheme(parsed.keyId, parsed.secret, record?.hashScheme ?? 'sha256', options.pepper) ?? '';
      const matches = constantTimeEqual(actual, expected);
      if (!record || !matches || record.revokedAt !== undefined || record.keyId !== parsed.keyId) {
        throw new UnauthorizedError(INVALID);
      }
      return { tenantId: record.tenantId, kind: 'apiKey', roles: ['jobs'], keyId: record.keyId };
    },
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // timingSafeEqual needs equal lengths; hashes of one scheme always are, so a length mismatch is a miss.
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `live` in Azure, `test` locally: keys minted on a laptop never authenticate in production. */
export function apiKeyEnvLabel(environment: 'local' | 'azure'): string {
  return environment === 'azure' ? 'live' : 'test';
}
