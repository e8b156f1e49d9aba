/**
 * Spreads paced jobs over time. When no deployment can take a request now, telling every waiting job
 * "come back when one request fits" would bring them all back at once and all but one would be paced
 * again. Instead each paced job gets its own future slot at the pool's token rate (a virtual queue, in
 * the spirit of GCRA), so rescheduled messages return about when capacity for them exists.
 */
export class DeferralSlots {
  private nextSlot = 0;

  constructor(
    /** Tokens per millisecond the pool admits for this instance (it changes as the fleet re-shares). */
    private readonly tokensPerMs: () => number,
    /** Never push a job further out than this; it is paced again if it returns early. */
    private readonly horizonMs: number,
  ) {}

  /** The delay to give a paced job costing `tokens` whose earliest possible start is `now + waitMs`. */
  delayFor(tokens: number, waitMs: number, now: number): number {
    const earliest = now + waitMs;
    const start = Math.max(earliest, this.nextSlot);
    const capped = Math.min(start, now + this.horizonMs);
    this.nextSlot = Math.max(this.nextSlot, capped) + tokens / Math.max(1e-9, this.tokensPerMs());
    return Math.max(1, Math.ceil(capped - now));
  }

  /** Forget the queue, e.g. after a request was admitted straight away: the backlog has drained. */
  reset(now: number): void {
    if (this.nextSlot < now) this.nextSlot = now;
  }
}
