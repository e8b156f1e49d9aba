/**
 * The submission rate limit shared by every function instance: one counter document per tenant per
 * minute, `ratelimit:<tenantId>:<window>`, in the `tenants` container (partition key /id).
 *
 * Leased chunks: an instance does not write once per submission. It LEASES a chunk of n tokens with
 * ONE conditional patch, `incr /count by n` if `count <= cap - n` (sliding-window.ts), then spends
 * them locally; only when its chunk is empty does it go back to Cosmos. Cosmos DB applies the patch
 * atomically on the server, so however many instances race, the counter never exceeds the cap and no
 * instance spends a token it did not lease: the limit stays exact across instances (never over).
 * The price is bounded UNDER-admission: tokens leased but unspent when the window closes are lost
 * (at most chunk - 1 per instance per window), and they still weigh in the next window's estimate.
 *
 * Chunk size: it starts at 1 in each window and doubles with each lease, up to
 * max(1, min(maxChunk, floor(limit / 20))), and never more than a tenth of what is left in the window
 * (so near the cap leases are one token again). A quiet instance therefore leases one token at a time
 * and strands nothing; a busy one reaches the full chunk within a few leases. With limit/20, one
 * instance can strand at most 5% of the limit per window, and far less when the window is nearly
 * spent. Submissions waiting for a lease in progress are covered by it (one write for all of them).
 *
 * A refusal is remembered locally until its Retry-After (for that tenant, window and limit): the
 * counter only grows and the cap only grows with time, so nothing could be admitted before then, and
 * a flood of refused submissions costs no Cosmos operation at all after the first.
 *
 * Cost: about 1/chunk patches per admitted submission (plus one create per tenant per minute and one
 * point read of the previous window's count, cached since that window is closed); a refused flood
 * costs one patch and one read per instance per Retry-After. Contention stays inside the flooding
 * tenant's own documents.
 */
import type { Container } from '@azure/cosmos';
import type { RateDecision, RateLimiter } from '../tenancy/rate-limiter.js';
import { currentWindowCap, retryAfterMs, windowAt, WINDOW_MS } from '../tenancy/sliding-window.js';

interface CounterDocument {
  readonly id: string;
  readonly type: 'rateLimit';
  readonly tenantId: string;
  readonly window: number;
  readonly count: number;
  /** Two windows of history are all the estimate needs; older counters expire. */
  readonly ttl: number;
}

export interface CosmosRateLimiterOptions {
  /** Largest chunk one lease may take (default 10); 1 turns leasing off (one patch per submission). */
  readonly maxChunk?: number;
}

/** Per tenant, this instance's view of the current window. */
interface LocalWindow {
  window: number;
  perMinute: number;
  /** Leased tokens not yet spent. */
  tokens: number;
  /** Size of the next lease. */
  nextChunk: number;
  /** A lease in progress: concurrent submissions wait for it instead of writing too. */
  leasing?: Promise<void>;
  /** Refused until this time (absolute ms), as learnt from the counter. */
  refusedUntilMs?: number;
  /** Submissions waiting for the lease in progress: the next lease covers them all at once. */
  waiting: number;
  /** The previous window's lease that was in flight when this window began. */
  settling?: Promise<void>;
}

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

const counterId = (tenantId: string, window: number): string => `ratelimit:${tenantId}:${window}`;

/** The largest chunk for a limit: small against the limit, so stranded tokens stay a small share. */
export function maxChunkFor(perMinute: number, maxChunk = 10): number {
  return Math.max(1, Math.min(maxChunk, Math.floor(perMinute / 20)));
}

export class CosmosRateLimiter implements RateLimiter {
  /** Closed windows' counts, per tenant: they no longer change (give or take a straggler). */
  private readonly previousCounts = new Map<string, { window: number; count: number }>();
  private readonly local = new Map<string, LocalWindow>();
  private readonly maxChunk: number;

  constructor(
    private readonly container: Container,
    options: CosmosRateLimiterOptions = {},
  ) {
    this.maxChunk = Math.max(1, Math.floor(options.maxChunk ?? 10));
  }

  async consume(tenantId: string, perMinute: number, nowMs: number): Promise<RateDecision> {
    let { index, elapsedMs } = windowAt(nowMs);
    // A straggler stamped before the boundary, arriving after this instance moved on, counts in the
    // newer window at its start (its smallest cap): the closed window's count, already read as the
    // newer window's `previous`, must not grow behind our back.
    const newest = this.local.get(tenantId)?.window;
    if (newest !== undefined && newest > index) {
      index = newest;
      elapsedMs = 0;
    }
    // Looked up once: tokens leased into this window's state are spent by this window's submissions,
    // even if a submission of the next window has meanwhile replaced the tenant's current state.
    const state = this.stateFor(tenantId, index, perMinute);
    // Every pass either returns or waits for a lease that granted tokens or recorded a refusal, so
    // this cannot spin; a waiter whose tokens were taken by others simply waits for the next lease.
    for (;;) {
      if (state.tokens > 0) {
        state.tokens -= 1;
        return { allowed: true };
      }
      if (state.refusedUntilMs !== undefined && nowMs < state.refusedUntilMs) {
        return { allowed: false, retryAfterMs: state.refusedUntilMs - nowMs };
      }
      if (state.leasing) {
        state.waiting += 1;
        try {
          // The leader's Cosmos error is the leader's answer; a waiter tries its own lease next pass.
          await state.leasing.catch(() => undefined);
        } finally {
          state.waiting -= 1;
        }
        continue;
      }
      const leasing = this.lease(tenantId, perMinute, index, elapsedMs, nowMs, state);
      state.leasing = leasing;
      try {
        await leasing;
      } finally {
        if (state.leasing === leasing) delete state.leasing;
      }
    }
  }

  private stateFor(tenantId: string, window: number, perMinute: number): LocalWindow {
    const existing = this.local.get(tenantId);
    // A token leased in one window must not be spent in the next: it was counted in the old window,
    // which weighs less there. A changed limit starts afresh too (the cached refusal was for the old one).
    if (existing && existing.window === window && existing.perMinute === perMinute) return existing;
    const fresh: LocalWindow = { window, perMinute, tokens: 0, nextChunk: 1, waiting: 0 };
    // An old-window lease still in flight must land before the new window reads it as `previous`.
    if (existing?.leasing && existing.window < window) fresh.settling = existing.leasing;
    this.local.set(tenantId, fresh);
    return fresh;
  }

  /** Leases up to `state.nextChunk` tokens into `state`, or records a refusal there. */
  private async lease(
    tenantId: string,
    perMinute: number,
    index: number,
    elapsedMs: number,
    nowMs: number,
    state: LocalWindow,
  ): Promise<void> {
    if (state.settling) {
      await state.settling.catch(() => undefined);
      delete state.settling;
    }
    const previous = await this.previousCount(tenantId, index - 1);
    const cap = currentWindowCap(perMinute, previous, elapsedMs);
    const id = counterId(tenantId, index);
    const item = this.container.item(id, id);
    // Enough for this submission and those already waiting, as the doubling allows, never past the cap.
    let want = Math.min(Math.max(state.nextChunk, state.waiting + 1), maxChunkFor(perMinute, this.maxChunk));
    const refuse = (count: number): void => {
      state.refusedUntilMs = nowMs + retryAfterMs(perMinute, previous, count, elapsedMs);
    };
    if (cap < 1) {
      refuse(await this.readCount(item, perMinute));
      return;
    }
    want = Math.min(want, cap);
    for (let round = 0; round < 4; round += 1) {
      try {
        const { resource } = await item.patch<CounterDocument>({
          operations: [{ op: 'incr', path: '/count', value: want }],
          // `cap` and `want` are integers we computed, never caller input.
          condition: `FROM c WHERE c.count <= ${cap - want}`,
        });
        this.granted(state, want, perMinute, cap - (resource?.count ?? cap));
        return;
      } catch (error) {
        const status = statusOf(error);
        if (status === 412) {
          // Fewer than `want` left: take what remains, if anything (one read tells how much).
          const count = await this.readCount(item, perMinute);
          if (count >= cap) {
            refuse(count);
            return;
          }
          // From the second retry on, one token: its 412 can only mean the window is full, so a
          // contended tail ends in an exact refusal rather than in running out of rounds.
          want = round === 0 ? Math.min(want, cap - count) : 1;
          continue;
        }
        if (status !== 404) throw error;
      }
      try {
        const document: CounterDocument = {
          id,
          type: 'rateLimit',
          tenantId,
          window: index,
          count: want,
          ttl: 3 * (WINDOW_MS / 1000),
        };
        await this.container.items.create(document);
        this.granted(state, want, perMinute, cap - want);
        return;
      } catch (error) {
        // Another instance created it between our two calls: patch it next round.
        if (statusOf(error) !== 409) throw error;
      }
    }
    // Unreachable in practice; refuse briefly rather than spin.
    state.refusedUntilMs = nowMs + 1_000;
  }

  /**
   * Near the cap, chunks shrink to a tenth of what is left (down to 1): when the tenant is close to
   * its limit, tokens stranded on quiet instances would refuse submissions the limit allows, so the
   * last part of each window is leased almost one token at a time.
   */
  private granted(state: LocalWindow, tokens: number, perMinute: number, remaining: number): void {
    state.tokens += tokens;
    delete state.refusedUntilMs;
    state.nextChunk = Math.max(
      1,
      Math.min(maxChunkFor(perMinute, this.maxChunk), state.nextChunk * 2, Math.floor(remaining / 10)),
    );
  }

  private async readCount(item: ReturnType<Container['item']>, perMinute: number): Promise<number> {
    const { resource, statusCode } = await item.read<CounterDocument>();
    if (statusCode === 404) return 0;
    return resource?.count ?? perMinute;
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
