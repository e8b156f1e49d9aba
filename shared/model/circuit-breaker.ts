/**
 * A circuit breaker per deployment that judges the deployment, not a job.
 *
 * - Closed: outcomes are counted over a sliding window; the circuit opens when at least
 *   `minimumFailures` calls failed in it and they are at least `failureRate` of its calls. A rate, not a
 *   run of consecutive failures, so a steady trickle of jobs that fail on their own (a prompt the model
 *   chokes on) cannot open it while most calls succeed.
 * - Open for `openMs`: the deployment is skipped, so jobs fail over at once or wait without spending an
 *   attempt instead of each waiting out a timeout.
 * - Half-open: up to `probes` calls are let through and their failure rate decides, so no single job's
 *   fate re-opens or closes the circuit.
 *
 * Calls of a quarantined job (one that already failed on every deployment it tried) never count as
 * failures: it stays on its own retry schedule instead of tripping the breaker for everyone else. Its
 * successes still count. 429s and permanent 4xx answers are not failures either: a throttled deployment
 * is healthy, only busy, and one that answers 400 is up.
 */
import { OutcomeWindow } from './outcome-window.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Failures within the window needed before the failure rate is judged at all. */
  readonly minimumFailures: number;
  /** Share of the window's calls (0-1) that must have failed to open the circuit. */
  readonly failureRate: number;
  readonly windowMs: number;
  readonly openMs: number;
  /** Calls let through in half-open; their failure rate closes or re-opens the circuit. */
  readonly probes: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  minimumFailures: 10,
  failureRate: 0.5,
  windowMs: 30_000,
  openMs: 10_000,
  probes: 3,
};

/** Given when a call starts and handed back with its outcome. */
export interface BreakerTicket {
  /** Outcomes of calls started before the last state change are ignored: they judged another period. */
  readonly generation: number;
  readonly probe: boolean;
  readonly quarantined: boolean;
}

export interface BreakerSnapshot {
  readonly breaker: BreakerState;
  readonly recentFailures: number;
  readonly recentCalls: number;
}

/** While every probe slot is taken, callers are told to come back after this long (at most). */
const PROBE_WAIT_MS = 1_000;

export class CircuitBreaker {
  private readonly options: BreakerOptions;
  private readonly window: OutcomeWindow;
  private readonly failuresToReopen: number;
  private readonly successesToClose: number;
  private openUntil = 0;
  private generation = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private probeFailures = 0;

  constructor(options: Partial<BreakerOptions> = {}) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...options };
    this.window = new OutcomeWindow(this.options.windowMs);
    const probes = Math.max(1, this.options.probes);
    this.failuresToReopen = Math.max(1, Math.ceil(this.options.failureRate * probes));
    this.successesToClose = Math.max(1, probes - this.failuresToReopen + 1);
  }

  state(now: number): BreakerState {
    if (this.openUntil === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a call may go now; in half-open only while a probe slot is free. */
  canPass(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.probesInFlight + this.probeSuccesses + this.probeFailures < this.options.probes;
  }

  /** When the breaker will let a call through again (now if it already does). */
  availableAt(now: number): number {
    if (this.canPass(now)) return now;
    if (this.state(now) === 'open') return this.openUntil;
    return now + Math.min(PROBE_WAIT_MS, this.options.openMs);
  }

  /** Marks the call as started; in half-open it takes a probe slot. */
  onCallStart(now: number, quarantined = false): BreakerTicket {
    const probe = this.state(now) === 'half-open';
    if (probe) this.probesInFlight += 1;
    return { generation: this.generation, probe, quarantined };
  }

  /** The deployment answered (a completion, or a permanent 4xx about the request). */
  onSuccess(ticket: BreakerTicket, now: number): void {
    if (ticket.generation !== this.generation) return;
    if (ticket.probe) {
      this.probesInFlight -= 1;
      this.probeSuccesses += 1;
      if (this.probeSuccesses >= this.successesToClose) this.reset(0);
      return;
    }
    if (this.state(now) === 'closed') this.window.record(true, now);
  }

  /** 5xx, 408, timeout, reset, refused credentials. */
  onFailure(ticket: BreakerTicket, now: number): void {
    if (ticket.generation !== this.generation) return;
    if (ticket.probe) {
      this.probesInFlight -= 1;
      if (ticket.quarantined) return;
      this.probeFailures += 1;
      if (this.probeFailures >= this.failuresToReopen) this.reset(now + this.options.openMs);
      return;
    }
    if (ticket.quarantined || this.state(now) !== 'closed') return;
    this.window.record(false, now);
    const { successes, failures } = this.window.counts(now);
    if (
      failures >= this.options.minimumFailures &&
      failures >= this.options.failureRate * (failures + successes)
    ) {
      this.reset(now + this.options.openMs);
    }
  }

  /** A call that says nothing about health (429, aborted by the caller): frees its probe slot only. */
  onNeutral(ticket: BreakerTicket): void {
    if (ticket.generation === this.generation && ticket.probe) this.probesInFlight -= 1;
  }

  snapshot(now: number): BreakerSnapshot {
    const { successes, failures } = this.window.counts(now);
    return { breaker: this.state(now), recentFailures: failures, recentCalls: successes + failures };
  }

  /** Opens until `openUntil`, or closes with 0; either way a fresh window and fresh probes. */
  private reset(openUntil: number): void {
    this.openUntil = openUntil;
    this.generation += 1;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    this.probeFailures = 0;
    this.window.clear();
  }
}
