/** In-memory RateLimiter on the same sliding-window arithmetic as the Cosmos limiter. */
import type { RateDecision, RateLimiter } from '../../shared/tenancy/rate-limiter.js';
import { currentWindowCap, retryAfterMs, windowAt } from '../../shared/tenancy/sliding-window.js';

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
