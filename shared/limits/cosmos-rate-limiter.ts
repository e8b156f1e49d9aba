/**
 * The submission rate limit shared by every function instance: one counter document per tenant per
 * minute, `ratelimit:<tenantId>:<window>`, in the `tenants` container (partition key /id), advanced
 * with ONE conditional patch, `incr /count` if `count < cap` (sliding-window.ts). Cosmos DB applies a
 * patch atomically on the server, so however many instances race, the window never admits more than
 * its cap, and nobody retries a lost compare-and-swap. A refusal is the 412 of a false condition.
 *
 * Cost per admitted submission: one patch (plus a create for the first submission of a window, and a
 * point read of the previous window's count, cached per instance since that window is closed).
 * Contention stays inside the flooding tenant's own documents: tenant B's counters are other
 * documents, in other logical partitions, and never wait on A's.
 */
import type { Container } from '@azure/cosmos';
import type { RateDecision, RateLimiter } from './rate-limiter.js';
import { currentWindowCap, retryAfterMs, windowAt, WINDOW_MS } from './sliding-window.js';

interface CounterDocument {
  readonly id: string;
  readonly type: 'rateLimit';
  readonly tenantId: string;
  readonly window: number;
  readonly count: number;
  /** Two windows of history are all the estimate needs; older counters expire. */
  readonly ttl: number;
}

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

const counterId = (tenantId: string, window: number): string => `ratelimit:${tenantId}:${window}`;

export class CosmosRateLimiter implements RateLimiter {
  /** Closed windows' counts, per tenant: they no longer change (give or take a straggler). */
  private readonly previousCounts = new Map<string, { window: number; count: number }>();

  constructor(private readonly container: Container) {}

  async consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision> {
    const { index, elapsedMs } = windowAt(nowMs);
    const previous = await this.previousCount(tenantId, index - 1);
    const cap = currentWindowCap(perMinute, previous, elapsedMs);
    const id = counterId(tenantId, index);
    const item = this.container.item(id, id);
    // Two rounds at most: patch (or learn the counter does not exist yet), create, or patch again
    // if another instance created it between our two calls.
    for (let round = 0; round < 3; round += 1) {
      try {
        await item.patch<CounterDocument>({
          operations: [{ op: 'incr', path: '/count', value: 1 }],
          // `cap` is an integer we computed, never caller input.
          condition: `FROM c WHERE c.count < ${cap}`,
        });
        return { allowed: true };
      } catch (error) {
        const status = statusOf(error);
        if (status === 412) return this.refusal(item, perMinute, previous, elapsedMs);
        if (status !== 404) throw error;
      }
      if (cap < 1) return this.refusal(item, perMinute, previous, elapsedMs);
      try {
        const document: CounterDocument = {
          id,
          type: 'rateLimit',
          tenantId,
          window: index,
          count: 1,
          ttl: 3 * (WINDOW_MS / 1000),
        };
        await this.container.items.create(document);
        return { allowed: true };
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }
    // Unreachable in practice (the counter exists after a 409); refuse briefly rather than spin.
    return { allowed: false, retryAfterMs: 1_000 };
  }

  private async refusal(
    item: ReturnType<Container['item']>,
    perMinute: number,
    previous: number,
    elapsedMs: number,
  ): Promise<RateDecision> {
    const { resource } = await item.read<CounterDocument>();
    return {
      allowed: false,
      retryAfterMs: retryAfterMs(perMinute, previous, resource?.count ?? perMinute, elapsedMs),
    };
  }

  private async previousCount(tenantId: string, window: number): Promise<number> {
    const cached = this.previousCounts.get(tenantId);
    if (cached?.window === window) return cached.count;
    const id = counterId(tenantId, window);
    const { resource, statusCode } = await this.container.item(id, id).read<CounterDocument>();
    const count = statusCode === 404 || !resource ? 0 : resource.count;
    this.previousCounts.set(tenantId, { window, count });
    return count;
  }
}
