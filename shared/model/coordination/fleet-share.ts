/**
 * One instance's share of one deployment's quota, leased from the fleet's lease document
 * (allocation.ts has the rules). Renewed on a timer, off the model call's path: a call never waits for
 * the store, except the first call of an instance, which waits for its first lease.
 *
 * When the store cannot be reached the instance keeps its last share while the others still count its
 * claim (they keep it a lease time plus a window after its last renewal), then falls back to the lower
 * of that share and the configured fallback share. An instance that never got a lease starts at the
 * fallback share. Either way calls keep being made and paced, and jobs never fail for the store; the
 * remaining-quota headers and 429s correct any overlap (quota-budget.ts).
 */
import type { Clock } from '../../time/clock.js';
import { claimSchedule, decideShare, observePeers, type Observation } from './allocation.js';
import { DemandMeter } from './demand-meter.js';
import { emptyLeaseDocument, type LeaseMember } from './lease-document.js';
import { LeaseConflictError, type QuotaLeaseStore } from './lease-store.js';

export interface FleetShareOptions {
  readonly store: QuotaLeaseStore;
  readonly deployment: string;
  readonly instanceId: string;
  /** The deployment's longest counting window (tokens or requests). */
  readonly windowMs: number;
  readonly renewMs: number;
  /** No instance takes more than this share (MODEL_INSTANCE_SHARE). */
  readonly upperBound: number;
  /** The share to pace at when the store cannot be reached. */
  readonly fallbackShare: number;
  readonly tokensPerWindow: number;
  readonly requestsPerWindow: number;
  readonly clock: Clock;
  /** The fraction of the quota this instance's sent requests occupy at an absolute time. */
  readonly usageAt: (time: number) => number;
  /** Applies a share to the pacer. */
  readonly apply: (share: number) => void;
  readonly onDegraded?: (error: unknown) => void;
  /** Renew on a timer (default); tests drive `renew()` by hand. */
  readonly timer?: boolean;
}

/** Renewals in a row that may lose the ETag race before this instance keeps its share until the next. */
const WRITE_ROUNDS = 3;
/**
 * Each renewal reads the whole document, which grows with the fleet: beyond this many members the
 * renewal interval grows in proportion, so the fleet's store cost grows with its size, not its square.
 */
const MEMBERS_AT_BASE_RATE = 8;
/**
 * Writes come at least every 1.5 renewal intervals; two more renewals may be missed (a slow store, a
 * long GC pause) before the others stop counting us live.
 */
const LEASE_RENEWALS = 4;

export interface FleetShareStatus {
  readonly share: number;
  readonly target: number;
  readonly members: number;
  readonly degraded: boolean;
}

export class FleetShare {
  private granted = 0;
  private target = 0;
  private members = 1;
  private lastWrittenAt: number | undefined;
  private degraded = false;
  private joined: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private left = false;
  private readonly observations = new Map<string, Observation>();
  private readonly demand: DemandMeter;
  /** The renewal interval our entry in the document states (as its leaseMs / LEASE_RENEWALS). */
  private publishedRenewMs: number;

  constructor(private readonly options: FleetShareOptions) {
    this.publishedRenewMs = options.renewMs;
    this.demand = new DemandMeter(options.windowMs, options.tokensPerWindow, options.requestsPerWindow);
    options.apply(0);
  }

  /** Resolves once the first lease was asked for (granted, or the fallback applied). */
  ready(): Promise<void> {
    this.joined ??= this.join();
    return this.joined;
  }

  /**
   * The first lease, waited for at most ten renewal intervals (0.5-5 s): a store that does not answer
   * is an outage like one that fails, so the first call goes on at the fallback share.
   */
  private async join(): Promise<void> {
    const waitMs = Math.min(5_000, Math.max(500, this.options.renewMs * 10));
    let timer: NodeJS.Timeout | undefined;
    const first = this.renew();
    const answered = await Promise.race([
      first.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    if (!answered) {
      this.onStoreFailure(new Error(`The quota lease store did not answer within ${waitMs} ms`));
      void first.then(() => this.startTimer());
      return;
    }
    this.startTimer();
  }

  share(): number {
    return this.granted;
  }

  /**
   * The rate to spread this instance's paced jobs at: at least an equal split of the fleet, which a
   * backlogged instance gets, so a share still growing (a new instance) does not push them far out.
   */
  pacingShare(): number {
    return Math.max(this.granted, 1 / this.members);
  }

  /** A call asked for `tokens`; a paced one (told to come back at `returnsAt`) keeps asking until then. */
  recordDemand(tokens: number, now: number, returnsAt?: number): void {
    this.demand.record(tokens, now, returnsAt);
  }

  status(): FleetShareStatus {
    return { share: this.granted, target: this.target, members: this.members, degraded: this.degraded };
  }

  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Gives the share back: the entry stays with a decaying claim until what was sent leaves the window. */
  async leave(): Promise<void> {
    // Set first: a renewal in flight then neither re-arms the timer nor keeps a share.
    this.left = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.renewing;
    await this.renewOnce();
  }

  /** The renewal interval for the fleet's current size. */
  private renewMs(): number {
    return Math.round(this.options.renewMs * Math.max(1, this.members / MEMBERS_AT_BASE_RATE));
  }

  private startTimer(): void {
    if (this.options.timer === false || this.left) return;
    // Never later than the interval our entry states: a longer one takes effect once it is published.
    this.timer = setTimeout(
      () => void this.renew().then(() => this.startTimer()),
      Math.min(this.renewMs(), this.publishedRenewMs),
    );
    this.timer.unref();
  }

  private setGranted(share: number): void {
    this.granted = share;
    this.options.apply(share);
  }

  private async renewOnce(): Promise<void> {
    const { store, deployment, instanceId, windowMs, clock } = this.options;
    for (let round = 0; round < WRITE_ROUNDS; round += 1) {
      let stored;
      try {
        stored = await store.read(deployment);
      } catch (error) {
        this.onStoreFailure(error);
        return;
      }
      const now = clock();
      const document = stored?.document ?? emptyLeaseDocument(deployment);
      const peers = observePeers(document.members, instanceId, this.observations, now, { windowMs });
      const demand = this.left ? 0 : this.demand.fraction(now);
      const decision = this.left
        ? { target: 0, share: 0 }
        : decideShare(demand, peers, this.options.upperBound);
      // Lowering needs nobody's agreement; raising waits for the write that records it.
      if (decision.share < this.granted) this.setGranted(decision.share);
      const previous = document.members[instanceId];
      const renewMs = Math.round(
        this.options.renewMs * Math.max(1, (1 + peers.liveDemands.length) / MEMBERS_AT_BASE_RATE),
      );
      const entry = {
        seq: (previous?.seq ?? 0) + 1,
        leaseMs: renewMs * LEASE_RENEWALS,
        share: decision.share,
        demand,
        claims: claimSchedule(decision.share, (offset) => this.options.usageAt(now + offset), windowMs),
      };
      if (!this.mustWrite(previous, entry, peers.expired.length > 0, now)) {
        this.settle(decision.target, peers.liveDemands.length);
        return;
      }
      const members = { ...document.members };
      for (const id of peers.expired) delete members[id];
      members[instanceId] = entry;
      const next = { ...document, members };
      try {
        if (stored) await store.replace(next, stored.etag);
        else await store.create(next);
      } catch (error) {
        if (error instanceof LeaseConflictError) continue;
        this.onStoreFailure(error);
        return;
      }
      this.lastWrittenAt = now;
      this.publishedRenewMs = renewMs;
      this.settle(decision.target, peers.liveDemands.length);
      this.setGranted(decision.share);
      return;
    }
    // Every round lost the race to other writers: keep the (possibly lowered) share until the next renewal.
  }

  private settle(target: number, livePeers: number): void {
    this.degraded = false;
    this.target = target;
    this.members = 1 + livePeers;
  }

  /**
   * A write (about ten times a read's RU) only when the entry would say something new: another share,
   * a demand or claim that moved, expired members to clear, or a heartbeat due (at least every
   * 1.5 renewals, so readers see a change well within the lease of four renewals).
   */
  private mustWrite(
    previous: LeaseMember | undefined,
    entry: LeaseMember,
    expired: boolean,
    now: number,
  ): boolean {
    if (!previous || expired || this.left || this.lastWrittenAt === undefined) return true;
    if (now - this.lastWrittenAt >= this.publishedRenewMs * 1.5) return true;
    if (entry.leaseMs !== previous.leaseMs) return true;
    if (entry.share !== previous.share || entry.share !== this.granted) return true;
    if (Math.abs(entry.demand - previous.demand) > 0.05) return true;
    return entry.claims.some((claim, i) => Math.abs(claim - (previous.claims[i] ?? 0)) > 0.01);
  }

  private onStoreFailure(error: unknown): void {
    const now = this.options.clock();
    // The others count our claim until a lease time plus a window after our last write; leave a margin
    // of two renewals so that we have fallen back before any of them reuses our capacity.
    const keepUntil =
      this.lastWrittenAt === undefined
        ? now
        : this.lastWrittenAt + this.publishedRenewMs * (LEASE_RENEWALS - 2) + this.options.windowMs;
    if (now < keepUntil) return;
    const fallback = Math.min(this.options.fallbackShare, this.options.upperBound);
    const share = this.lastWrittenAt === undefined ? fallback : Math.min(this.granted, fallback);
    if (!this.degraded) this.options.onDegraded?.(error);
    this.degraded = true;
    if (share !== this.granted) this.setGranted(share);
  }
}
