/**
 * A circuit breaker per deployment that judges the deployment, not a job.
 *
 * - Closed: outcomes are counted over a sliding window. When at least `minimumFailures` calls failed in
 *   it and they are at least `failureRate` of its calls, the deployment is suspect. A rate, not a run of
 *   consecutive failures, so a steady trickle of jobs that fail on their own cannot trip it while most
 *   calls succeed.
 * - Half-open (at once when suspect, and after each open period): job calls wait while a canary, a tiny
 *   request known to be good (shared/model/canary.ts), asks the deployment itself. An answer closes the
 *   circuit with a fresh window: the failures belonged to the jobs, which retry on their own schedules.
 *   No answer opens it. So no job's fate ever decides, and a deployment that answers keeps serving every
 *   job, content-filter refusals included, however many bad jobs fail beside them.
 * - Open for `openMs`: the deployment is skipped, so jobs fail over at once or wait without spending an
 *   attempt instead of each waiting out a timeout.
 *
 * Calls of a quarantined job (shared/model/quarantine.ts) never count as failures, only as successes.
 * 429s and permanent 4xx answers are no failures either: a throttled deployment is healthy, only busy,
 * and one that answers 400 is up.
 */
import { OutcomeWindow } from './outcome-window.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Failures within the window needed before the failure rate is judged at all. */
  readonly minimumFailures: number;
  /** Share of the window's calls (0-1) that must have failed for the deployment to be suspect. */
  readonly failureRate: number;
  readonly windowMs: number;
  readonly openMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  minimumFailures: 10,
  failureRate: 0.5,
  windowMs: 30_000,
  openMs: 10_000,
};

/** Given when a call starts and handed back with its outcome. */
export interface BreakerTicket {
  /** Outcomes of calls started before the last state change are ignored: they judged another period. */
  readonly generation: number;
  readonly quarantined: boolean;
}

export interface BreakerSnapshot {
  readonly breaker: BreakerState;
  readonly recentFailures: number;
  readonly recentCalls: number;
}

/** While a canary is out, job calls are told to come back after this long (at most). */
const CANARY_WAIT_MS = 1_000;

export class CircuitBreaker {
  private readonly options: BreakerOptions;
  private readonly window: OutcomeWindow;
  /** Closed when undefined; otherwise open until then, half-open after. */
  private openUntil: number | undefined;
  private generation = 0;
  private canaryOut = false;

  constructor(options: Partial<BreakerOptions> = {}) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...options };
    this.window = new OutcomeWindow(this.options.windowMs);
  }

  state(now: number): BreakerState {
    if (this.openUntil === undefined) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a job's call may go now: only while closed. */
  canPass(now: number): boolean {
    return this.state(now) === 'closed';
  }

  /** When the breaker will let a job's call through again, at the earliest (now if it already does). */
  availableAt(now: number): number {
    const state = this.state(now);
    if (state === 'closed') return now;
    if (state === 'open') return this.openUntil!;
    return now + Math.min(CANARY_WAIT_MS, this.options.openMs);
  }

  onCallStart(quarantined = false): BreakerTicket {
    return { generation: this.generation, quarantined };
  }

  /** The deployment answered (a completion, or a permanent 4xx about the request). */
  onSuccess(ticket: BreakerTicket, now: number): void {
    if (ticket.generation === this.generation && this.state(now) === 'closed') {
      this.window.record(true, now);
    }
  }

  /** 5xx, 408, timeout, reset, refused credentials. */
  onFailure(ticket: BreakerTicket, now: number): void {
    if (ticket.quarantined || ticket.generation !== this.generation || this.state(now) !== 'closed') return;
    this.window.record(false, now);
    const { successes, failures } = this.window.counts(now);
    if (
      failures >= this.options.minimumFailures &&
      failures >= this.options.failureRate * (failures + successes)
    ) {
      // Suspect: half-open at once, so a canary decides before anyone waits out an open period.
      this.reset(now);
    }
  }

  /** Whether a canary should be sent now; if so the caller sends it and reports with `onCanary`. */
  takeCanary(now: number): BreakerTicket | undefined {
    if (this.state(now) !== 'half-open' || this.canaryOut) return undefined;
    this.canaryOut = true;
    return { generation: this.generation, quarantined: false };
  }

  /** The canary's verdict: the deployment answered (closes), did not (opens), or it was never sent. */
  onCanary(ticket: BreakerTicket, verdict: 'answered' | 'failed' | 'not-sent', now: number): void {
    if (ticket.generation !== this.generation) return;
    this.canaryOut = false;
    if (verdict === 'answered') this.reset(undefined);
    else if (verdict === 'failed') this.reset(now + this.options.openMs);
  }

  snapshot(now: number): BreakerSnapshot {
    const { successes, failures } = this.window.counts(now);
    return { breaker: this.state(now), recentFailures: failures, recentCalls: successes + failures };
  }

  /** Closes (undefined) or opens until `openUntil`; either way a fresh window. */
  private reset(openUntil: number | undefined): void {
    this.openUntil = openUntil;
    this.generation += 1;
    this.canaryOut = false;
    this.window.clear();
  }
}
