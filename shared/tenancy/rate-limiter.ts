/**
 * Per-tenant submission rate limiting: the port, the in-memory implementation (tests, single-process
 * tools) and the check that turns a spent window into a refusal with Retry-After. Both implementations use the
 * same sliding-window arithmetic (sliding-window.ts), so the fake behaves like the Cosmos limiter.
 */
import { rateLimited, type Refusal } from './admission-decision.js';
import { currentWindowCap, retryAfterMs, windowAt } from './sliding-window.js';

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /** Counts one submission against the tenant's per-minute limit, if the limit allows it. */
  consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision>;
}

export class InMemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();

  consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision> {
    const { index, elapsedMs } = windowAt(nowMs);
    const previous = this.counts.get(`${tenantId}:${index - 1}`) ?? 0;
    const current = this.counts.get(`${tenantId}:${index}`) ?? 0;
    if (current >= currentWindowCap(perMinute, previous, elapsedMs)) {
      return Promise.resolve({
        allowed: false,
        retryAfterMs: retryAfterMs(perMinute, previous, current, elapsedMs),
      });
    }
    this.counts.set(`${tenantId}:${index}`, current + 1);
    return Promise.resolve({ allowed: true });
  }
}

/** A refusal when the tenant's per-minute window is spent; otherwise counts this submission. */
export async function checkSubmissionRate(
  limiter: RateLimiter,
  tenantId: string,
  perMinute: number,
  nowMs: number,
): Promise<Refusal | undefined> {
  const decision = await limiter.consume(tenantId, perMinute, nowMs);
  if (decision.allowed) return undefined;
  return rateLimited(
    `Submission rate limit of ${perMinute} per minute reached; retry later.`,
    decision.retryAfterMs,
  );
}
