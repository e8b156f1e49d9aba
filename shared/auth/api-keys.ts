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
 * - Records are cached per instance for a few seconds (createApiKeyVerifier): revocation reaches an
 *   instance within that TTL, not at once (docs/security.md).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UnauthorizedError } from '../errors/index.js';
import type { Principal } from './principal.js';
import type { Clock } from '../time/clock.js';

export const API_KEY_PATTERN = /^pp_([a-z]{2,8})_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;
/** What generateApiKey mints as `keyId` (12 random bytes, hex): checked before an id reaches the store. */
export const KeyIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'an API key id: 24 hex digits');
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

export interface ApiKeyVerifierOptions {
  store: ApiKeyLookup;
  /** Only keys minted for this environment label are accepted. */
  expectedEnv: string;
  pepper?: string;
  /**
   * How long a successfully verified key's record is reused before it is read again (default 10 s;
   * 0 reads on every request). This is also how long a revocation may take to reach an instance that
   * has just verified the key.
   */
  cacheTtlMs?: number;
  /**
   * How long "no such key" or "revoked" is remembered for a key id (default 1 s; 0 to disable), so a
   * flood presenting one bad key id costs one read per second. A wrong secret is never remembered: it
   * says nothing about the key's owner, who must not be locked out by someone else's bad guesses.
   */
  negativeCacheTtlMs?: number;
  /** Entries kept at most; the oldest go first (default 10,000). */
  maxCacheEntries?: number;
  clock?: Clock;
}

type CacheEntry =
  | { readonly record: ApiKeyRecord; readonly expiresAtMs: number }
  | { readonly record: undefined; readonly expiresAtMs: number };

/**
 * Verification with a short per-instance cache of key records. On a hit the presented secret is still
 * hashed and compared in constant time against the cached hash (the cache holds what the store holds,
 * never a secret), so a wrong secret fails without a read, and a success costs no read. Only a record
 * that verified successfully is cached as valid. Concurrent misses for one key id share one read.
 */
export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const ttlMs = options.cacheTtlMs ?? 10_000;
  const negativeTtlMs = options.negativeCacheTtlMs ?? 1_000;
  const maxEntries = options.maxCacheEntries ?? 10_000;
  const now = options.clock ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const reads = new Map<string, Promise<ApiKeyRecord | undefined>>();

  const remember = (keyId: string, entry: CacheEntry): void => {
    if (entry.expiresAtMs <= now()) return;
    cache.delete(keyId);
    // Map iteration is insertion order: the first key is the oldest entry.
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(keyId, entry);
  };

  const lookup = (keyId: string): Promise<ApiKeyRecord | undefined> => {
    const pending = reads.get(keyId);
    if (pending) return pending;
    const read = options.store.get(keyId).finally(() => reads.delete(keyId));
    reads.set(keyId, read);
    return read;
  };

  return {
    async verify(presented) {
      const parsed = parseApiKey(presented);
      if (!parsed || parsed.env !== options.expectedEnv) throw new UnauthorizedError(INVALID);
      const hit = cache.get(parsed.keyId);
      const cached = hit && hit.expiresAtMs > now() ? hit : undefined;
      if (hit && !cached) cache.delete(parsed.keyId);
      const record = cached ? cached.record : await lookup(parsed.keyId);
      const expected = record?.hash ?? DUMMY_HASH;
      const actual =
        hashWithScheme(parsed.keyId, parsed.secret, record?.hashScheme ?? 'sha256', options.pepper) ?? '';
      const matches = constantTimeEqual(actual, expected);
      if (!record || record.revokedAt !== undefined) {
        if (!cached) remember(parsed.keyId, { record: undefined, expiresAtMs: now() + negativeTtlMs });
        throw new UnauthorizedError(INVALID);
      }
      if (!matches || record.keyId !== parsed.keyId) throw new UnauthorizedError(INVALID);
      if (!cached) remember(parsed.keyId, { record, expiresAtMs: now() + ttlMs });
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
