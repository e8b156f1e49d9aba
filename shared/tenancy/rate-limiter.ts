/**
 * Per-tenant submission rate limiting: the port and the check that turns a spent window into a refusal
 * with Retry-After. The Cosmos limiter and the in-memory fake (test/fakes) share the sliding-window
 * arithmetic (sliding-window.ts), so the fake behaves like the real one.
 */
import { rateLimited, type Refusal } from './admission-decision.js';

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /** Counts one submission against the tenant's per-minute limit, if the limit allows it. */
  consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision>;
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
