/**
 * A circuit breaker per deployment. After `failureThreshold` consecutive failures (5xx, timeouts, resets,
 * refused credentials) the deployment is skipped for `openMs`, so jobs fail over at once instead of each
 * waiting out a timeout; then one probe is let through (half-open) and its outcome closes or re-opens it.
 * 429s do not count: a throttled deployment is healthy, only busy, and the pacer handles it.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  readonly failureThreshold: number;
  readonly openMs: number;
}

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;
  private probeInFlight = false;

  constructor(private readonly options: BreakerOptions) {}

  state(now: number): BreakerState {
    if (this.openUntil === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a call may go now; in half-open only one probe at a time. */
  canPass(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return !this.probeInFlight;
  }

  /** Marks the call as started; in half-open it becomes the probe. */
  onCallStart(now: number): void {
    if (this.state(now) === 'half-open') this.probeInFlight = true;
  }

  /** When the breaker will let a call through again (now if it already does). */
  availableAt(now: number): number {
    return this.state(now) === 'open' ? this.openUntil : now;
  }

  onSuccess(): void {
    this.consecutiveFailures = 0;
    this.openUntil = 0;
    this.probeInFlight = false;
  }

  onFailure(now: number): void {
    this.consecutiveFailures += 1;
    const probeFailed = this.probeInFlight;
    this.probeInFlight = false;
    if (probeFailed || this.consecutiveFailures >= this.options.failureThreshold) {
      this.openUntil = now + this.options.openMs;
    }
  }

  /** A call that ended without telling us about health (429, 400): release the probe slot only. */
  onNeutral(): void {
    this.probeInFlight = false;
  }
}
