/**
 * A token bucket shared by every function instance: one document per tenant, `ratelimit:<tenantId>`,
 * in the `tenants` container (partition key /id), updated with an ETag-guarded replace. Every instance
 * sees the same bucket, so the limit holds however far the Functions host scales out, at the price of
 * one point read + one replace per admitted submission (refusals only read).
 *
 * Contention stays inside the flooding tenant's own document (its own logical partition): tenant B's
 * bucket is another document and never waits on A's. When many instances race for the same bucket
 * and lose the ETag race repeatedly, the submission is refused with a short Retry-After rather than
 * spinning: under that much concurrency the tenant is at its limit anyway.
 */
import type { Container } from '@azure/cosmos';
import type { RateDecision, RateLimiter } from './rate-limiter.js';
import { takeToken, type BucketState } from './token-bucket.js';

interface BucketDocument extends BucketState {
  readonly id: string;
  readonly type: 'rateLimit';
  readonly tenantId: string;
  /** Idle buckets expire: a full bucket and a missing one mean the same thing. */
  readonly ttl: number;
}

const MAX_ATTEMPTS = 4;
const CONTENDED_RETRY_AFTER_MS = 250;

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

export class CosmosRateLimiter implements RateLimiter {
  constructor(private readonly container: Container) {}

  async consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision> {
    const id = `ratelimit:${tenantId}`;
    const item = this.container.item(id, id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const { resource, etag, statusCode } = await item.read<BucketDocument>();
      const existing = statusCode === 404 || !resource ? undefined : resource;
      const result = takeToken(existing, perMinute, nowMs);
      if (!result.allowed) return result;
      const document: BucketDocument = { id, type: 'rateLimit', tenantId, ttl: 3_600, ...result.state };
      try {
        if (existing) {
          await item.replace(document, { accessCondition: { type: 'IfMatch', condition: etag } });
        } else {
          await this.container.items.create(document);
        }
        return { allowed: true };
      } catch (error) {
        // 412: another instance took a token since our read; 409: another created the bucket first.
        const status = statusOf(error);
        if (status !== 412 && status !== 409) throw error;
      }
    }
    return { allowed: false, retryAfterMs: CONTENDED_RETRY_AFTER_MS };
  }
}
