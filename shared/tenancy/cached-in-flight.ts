/**
 * Jobs in flight without a query per submission. The COUNT over the tenant's queued jobs stays the
 * source of truth, but each instance reuses its last count for `ttlMs` (2 s by default) and adds the
 * admissions it made itself since that read. So within one instance the limit is exact against the
 * last count; across instances each one only misses the others' admissions of the last `ttlMs`, so a
 * burst can overshoot by at most (instances × admissions per instance in `ttlMs`), which the rate
 * limit bounds. The other direction errs on the safe side: a job that finished since the read still
 * counts until the next read, and an admission that was later refused (budget) or deduplicated
 * counts until then too.
 *
 * Concurrent misses for one tenant share one query. Cost: one COUNT per tenant per instance per
 * `ttlMs`, instead of one per submission.
 */
import type { InFlightCounter } from './in-flight.js';
import type { Clock } from '../time/clock.js';

interface Entry {
  /** The count read from the source of truth. */
  readonly count: number;
  readonly atMs: number;
  /** Admissions this instance made since the read. */
  local: number;
}

export class CachedInFlightCounter implements InFlightCounter {
  private readonly entries = new Map<string, Entry>();
  private readonly reads = new Map<string, Promise<Entry>>();

  constructor(
    private readonly inner: InFlightCounter,
    private readonly ttlMs = 2_000,
    private readonly clock: Clock = Date.now,
  ) {}

  async countInFlight(tenantId: string): Promise<number> {
    const entry = await this.fresh(tenantId);
    return entry.count + entry.local;
  }

  async admitIfBelow(tenantId: string, max: number): Promise<boolean> {
    const entry = await this.fresh(tenantId);
    // Check and count in one synchronous step: no other admission can interleave here.
    if (entry.count + entry.local >= max) return false;
    entry.local += 1;
    return true;
  }

  private fresh(tenantId: string): Promise<Entry> {
    const hit = this.entries.get(tenantId);
    if (hit && this.clock() - hit.atMs < this.ttlMs) return Promise.resolve(hit);
    const pending = this.reads.get(tenantId);
    if (pending) return pending;
    const atMs = this.clock();
    const read = this.inner
      .countInFlight(tenantId)
      .then((count) => {
        const entry: Entry = { count, atMs, local: 0 };
        this.entries.set(tenantId, entry);
        return entry;
      })
      .finally(() => this.reads.delete(tenantId));
    this.reads.set(tenantId, read);
    return read;
  }
}
