/**
 * What this instance asked of one deployment over the last window, admitted or paced, as a fraction of
 * the deployment's quota: the demand it reports to the fleet. Paced calls count too (a paced job comes
 * back and asks again, so a backlogged instance reports more than the whole quota, capped at 1).
 */
export class DemandMeter {
  private readonly entries: Array<{ at: number; tokens: number }> = [];
  private head = 0;
  private tokens = 0;
  private requests = 0;

  constructor(
    private readonly windowMs: number,
    /** The deployment's whole quota over `windowMs`. */
    private readonly windowTokens: number,
    private readonly windowRequests: number,
  ) {}

  record(tokens: number, now: number): void {
    this.entries.push({ at: now, tokens });
    this.tokens += tokens;
    this.requests += 1;
  }

  /** Fraction of the quota asked for over the last window, with a fifth more as room to grow. */
  fraction(now: number): number {
    while (this.head < this.entries.length && this.entries[this.head]!.at + this.windowMs <= now) {
      this.tokens -= this.entries[this.head]!.tokens;
      this.requests -= 1;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    const asked = Math.max(
      this.tokens / Math.max(1, this.windowTokens),
      this.requests / Math.max(1, this.windowRequests),
    );
    return Math.min(1, asked * 1.2);
  }
}
