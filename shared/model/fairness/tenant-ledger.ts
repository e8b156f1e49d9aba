/**
 * One tenant's view in the fair scheduler, over the pool's token window: the tokens its calls were
 * charged (per priority class), the jobs that asked (its demand, each job counted once however often it
 * comes back), and the virtual queues that spread its deferred jobs over time.
 */

/** Priority classes, highest first; a job near its deadline is treated as the first. */
export const CLASSES = ['interactive', 'standard', 'background'] as const;
export type PriorityClass = 0 | 1 | 2;

interface Charge {
  readonly at: number;
  readonly tokens: number;
  readonly cls: PriorityClass;
}

interface Ask {
  readonly tokens: number;
  readonly cls: PriorityClass;
  readonly until: number;
}

export class TenantLedger {
  weight = 1;
  /** Next free slot per class (its virtual queue), and one for the tenant's token limit. */
  readonly slots: number[] = [0, 0, 0];
  limitSlot = 0;
  private readonly used: number[] = [0, 0, 0];
  private charges: Charge[] = [];
  private readonly asks = new Map<string, Ask>();
  /** Per class, the asks' tokens and count, kept as asks come and go (read on every admission). */
  private readonly askedTokens: number[] = [0, 0, 0];
  private readonly askedJobs: number[] = [0, 0, 0];
  /** Asks are swept for expiry at most this often: a sweep visits every job asking. */
  private readonly sweepMs: number;
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs: number) {
    this.sweepMs = windowMs / 50;
  }

  /** A job asked for `tokens`; it counts as demand until a window after it comes back (`until`). */
  ask(jobId: string, tokens: number, cls: PriorityClass, until: number): void {
    const previous = this.asks.get(jobId);
    this.setAsk(jobId, { tokens, cls, until: Math.max(until, previous?.until ?? 0) });
  }

  /** Keeps a deferred job's demand until a window after it returns. */
  extend(jobId: string, until: number): void {
    const ask = this.asks.get(jobId);
    if (ask && ask.until < until) this.asks.set(jobId, { ...ask, until });
  }

  private setAsk(jobId: string, ask: Ask | undefined): void {
    const previous = this.asks.get(jobId);
    if (previous) {
      this.askedTokens[previous.cls] = (this.askedTokens[previous.cls] ?? 0) - previous.tokens;
      this.askedJobs[previous.cls] = (this.askedJobs[previous.cls] ?? 0) - 1;
    }
    if (!ask) {
      this.asks.delete(jobId);
      return;
    }
    this.asks.set(jobId, ask);
    this.askedTokens[ask.cls] = (this.askedTokens[ask.cls] ?? 0) + ask.tokens;
    this.askedJobs[ask.cls] = (this.askedJobs[ask.cls] ?? 0) + 1;
  }

  charge(tokens: number, cls: PriorityClass, now: number): void {
    this.charges.push({ at: now, tokens, cls });
    this.used[cls] = (this.used[cls] ?? 0) + tokens;
  }

  /** Takes back the latest charge of `tokens` (a call admitted but not made). */
  uncharge(tokens: number): void {
    for (let i = this.charges.length - 1; i >= 0; i -= 1) {
      const charge = this.charges[i]!;
      if (charge.tokens !== tokens) continue;
      this.used[charge.cls] = (this.used[charge.cls] ?? 0) - tokens;
      this.charges.splice(i, 1);
      return;
    }
  }

  expire(now: number): void {
    let drop = 0;
    while (drop < this.charges.length && this.charges[drop]!.at + this.windowMs <= now) {
      const gone = this.charges[drop]!;
      this.used[gone.cls] = (this.used[gone.cls] ?? 0) - gone.tokens;
      drop += 1;
    }
    if (drop > 0) this.charges = this.charges.slice(drop);
    if (now - this.sweptAt < this.sweepMs) return;
    this.sweptAt = now;
    for (const [jobId, ask] of this.asks) if (ask.until <= now) this.setAsk(jobId, undefined);
  }

  usedBy(cls: PriorityClass): number {
    return this.used[cls] ?? 0;
  }

  usedTotal(): number {
    return this.used.reduce((sum, tokens) => sum + tokens, 0);
  }

  /**
   * What the class asks of the window: its jobs' tokens with a little room to grow (a twentieth and one
   * job more), so that a steady tenant's next job finds its place kept; never less than it already used.
   */
  wants(cls: PriorityClass): number {
    const tokens = this.askedTokens[cls] ?? 0;
    const jobs = this.askedJobs[cls] ?? 0;
    const wanted = jobs === 0 ? 0 : tokens * 1.05 + tokens / jobs;
    return Math.max(this.usedBy(cls), wanted);
  }

  /**
   * Milliseconds until enough of this tenant's charges (of `cls`, or all) leave the window for `tokens`
   * more to fit under `limit`; a whole window if they never would.
   */
  waitUntilFits(tokens: number, limit: number, now: number, cls?: PriorityClass): number {
    let used = cls === undefined ? this.usedTotal() : this.usedBy(cls);
    if (used + tokens <= limit) return 0;
    for (const charge of this.charges) {
      if (cls !== undefined && charge.cls !== cls) continue;
      used -= charge.tokens;
      if (used + tokens <= limit) return Math.max(1, charge.at + this.windowMs - now);
    }
    return this.windowMs;
  }

  idle(): boolean {
    return this.charges.length === 0 && this.asks.size === 0;
  }
}
