/**
 * Per-tenant submission rate limiting: the port, the in-memory implementation (tests, single-process
 * dev host) and the check that turns a refusal into a 429 with Retry-After.
 */
import { RateLimitedError } from '../errors/index.js';
import { takeToken, type BucketState } from './token-bucket.js';

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /** Takes one submission token from the tenant's bucket, if there is one. */
  consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision>;
}

export class InMemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision> {
    const result = takeToken(this.buckets.get(tenantId), perMinute, nowMs);
    if (!result.allowed) return Promise.resolve(result);
    this.buckets.set(tenantId, result.state);
    return Promise.resolve({ allowed: true });
  }
}

export async function enforceSubmissionRate(
  limiter: RateLimiter,
  tenantId: string,
  perMinute: number,
  nowMs: number,
): Promise<void> {
  const decision = await limiter.consume(tenantId, perMinute, nowMs);
  if (!decision.allowed) {
    throw new RateLimitedError(
      `Submission rate limit of ${perMinute} per minute reached; retry later.`,
      decision.retryAfterMs,
    );
  }
}
