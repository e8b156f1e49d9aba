/**
 * A JWKS cache for bearer token verification. Keys are fetched once and reused; a token signed with a
 * `kid` we do not know triggers ONE refetch (Entra rolls signing keys and publishes the new key before
 * using it), but at most once per cooldown, because anyone can put any `kid` in a token and must not be
 * able to make us hammer the JWKS endpoint. Concurrent misses share one in-flight fetch.
 */
import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { RetryAfterError } from '../errors/index.js';
import type { Clock } from '../time/clock.js';

/** Fetches and returns the JSON of a JWKS document. Injected in tests; `fetchJwksOverHttp` in production. */
export type JwksFetcher = (url: string) => Promise<unknown>;

export interface JwksCacheOptions {
  readonly url: string;
  readonly fetchJwks?: JwksFetcher;
  /** Keys older than this are refetched before use. Microsoft suggests checking about once a day. */
  readonly maxAgeMs?: number;
  /** Minimum interval between refetches caused by an unknown `kid`. */
  readonly refetchCooldownMs?: number;
  readonly clock?: Clock;
}

export class JwksCache {
  private readonly fetchJwks: JwksFetcher;
  private readonly maxAgeMs: number;
  private readonly refetchCooldownMs: number;
  private readonly clock: Clock;
  private resolver: ReturnType<typeof createLocalJWKSet> | undefined;
  /** Last successful fetch: drives max age. */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  /** Last attempt, successful or not: drives the refetch cooldown. */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  /** How many times the JWKS was fetched; tests and metrics read it. */
  fetchCount = 0;

  constructor(private readonly options: JwksCacheOptions) {
    this.fetchJwks = options.fetchJwks ?? fetchJwksOverHttp;
    this.maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1000;
    this.refetchCooldownMs = options.refetchCooldownMs ?? 5 * 60 * 1000;
    this.clock = options.clock ?? Date.now;
  }

  /** The verification key for a token header, in the shape `jwtVerify` accepts as a key resolver. */
  readonly getKey = async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    if (!this.resolver) {
      await this.refresh(false);
    } else if (this.clock() - this.fetchedAt > this.maxAgeMs && !this.coolingDown()) {
      await this.refresh(true);
    }
    try {
      return await this.resolve(header);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // Key rollover: the signer may have started using a key published after our last fetch.
      if (this.coolingDown()) throw error;
      await this.refresh(true);
      return this.resolve(header);
    }
  };

  private coolingDown(): boolean {
    return this.clock() - this.attemptedAt < this.refetchCooldownMs;
  }

  private async resolve(header: JWSHeaderParameters): Promise<CryptoKey> {
    if (!this.resolver) throw new errors.JWKSNoMatchingKey();
    return this.resolver(header);
  }

  private async refresh(haveKeys: boolean): Promise<void> {
    this.inFlight ??= this.load(haveKeys).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(haveKeys: boolean): Promise<void> {
    this.fetchCount += 1;
    this.attemptedAt = this.clock();
    let keySet: JSONWebKeySet;
    try {
      keySet = toSigningKeySet(await this.fetchJwks(this.options.url));
    } catch (error) {
      if (haveKeys) {
        // Keep verifying with the keys we have: an identity provider blip must not log everyone out.
        // The cooldown (attemptedAt) spaces out the next attempt.
        return;
      }
      throw new RetryAfterError('Authentication is temporarily unavailable.', 5_000, 'jwks_unavailable', {
        cause: error,
      });
    }
    this.resolver = createLocalJWKSet(keySet);
    this.fetchedAt = this.clock();
  }
}

/** Only RSA signing keys: we verify RS256 and nothing else, so other keys can only cause confusion. */
function toSigningKeySet(document: unknown): JSONWebKeySet {
  const keys =
    typeof document === 'object' && document !== null && Array.isArray((document as { keys?: unknown }).keys)
      ? ((document as { keys: unknown[] }).keys as Record<string, unknown>[])
      : undefined;
  if (!keys) throw new Error('JWKS document has no keys array');
  const signing = keys.filter(
    (key) =>
      typeof key === 'object' &&
      key !== null &&
      key.kty === 'RSA' &&
      (key.use === undefined || key.use === 'sig'),
  );
  return { keys: signing };
}

/** Production fetcher: plain `fetch` with a timeout, refusing anything but a 200 JSON document. */
export async function fetchJwksOverHttp(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!response.ok) throw new Error(`JWKS endpoint answered ${response.status}`);
  return response.json();
}
