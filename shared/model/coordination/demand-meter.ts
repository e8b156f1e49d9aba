/**
 * What this instance asked of one deployment over the last window, admitted or paced, as a fraction of
 * the deployment's quota: the demand it reports to the fleet. A paced call keeps counting until the
 * time it was told to come back: a backlog waiting in scheduled messages is demand too, and an instance
 * whose jobs all wait must not look idle and lose its share (which would push them further out).
 */
interface Ask {
  readonly until: number;
  readonly tokens: number;
}

export class DemandMeter {
  private asks: Ask[] = [];

  constructor(
    private readonly windowMs: number,
    /** The deployment's whole quota over `windowMs`. */
    private readonly windowTokens: number,
    private readonly windowRequests: number,
  ) {}

  /** A call asked for `tokens` at `now`; a paced one still wants them until `returnsAt`. */
  record(tokens: number, now: number, returnsAt = now): void {
    this.asks.push({ until: Math.max(now, returnsAt) + this.windowMs, tokens });
  }

  /** Fraction of the quota asked for, with a fifth more as room to grow; read once per renewal. */
  fraction(now: number): number {
    this.asks = this.asks.filter((ask) => ask.until > now);
    const tokens = this.asks.reduce((sum, ask) => sum + ask.tokens, 0);
    const asked = Math.max(
      tokens / Math.max(1, this.windowTokens),
      this.asks.length / Math.max(1, this.windowRequests),
    );
    return Math.min(1, asked * 1.2);
  }
}
