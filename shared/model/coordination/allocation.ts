/**
 * The allocation rules of fleet-wide pacing, as pure functions over one lease document.
 *
 * Soundness: an instance only ever raises its share to what the others' claims leave free, and it does
 * so through an ETag-guarded write of the document it read, so two instances can never both take the
 * same capacity. Lowering a share is always allowed, but the instance's claim (what it may still be
 * using in the service's sliding window) keeps the capacity reserved until its sent requests have left
 * the window. The sum of what the fleet can have in the service's window therefore stays at or under
 * the quota, whatever the order of renewals.
 *
 * Fairness: the target of each live instance is a max-min fair split of the quota by demand (instances
 * that want less get what they want, the rest share equally), with unused capacity split equally so
 * an instance whose load grows can use it at once.
 */
import { CLAIM_STEPS, type LeaseMember } from './lease-document.js';

/** When this reader first saw a member's current `seq`, on its own clock. */
export interface Observation {
  readonly seq: number;
  readonly firstSeenAt: number;
}

export interface AllocationTimes {
  /** The service's longest counting window (tokens or requests), plus the pacer's expiry margin. */
  readonly windowMs: number;
}

export interface PeerView {
  /** Demands of the other live members. */
  readonly liveDemands: readonly number[];
  /** What the other members may still be using now, live or not: capacity that is not free. */
  readonly othersClaim: number;
  /** Members whose claims have run out and who have not renewed: removed on the next write. */
  readonly expired: readonly string[];
}

/** The claim of a member whose entry has been unchanged for `ageMs`. */
export function claimAt(member: LeaseMember, ageMs: number, windowMs: number): number {
  const step = Math.min(CLAIM_STEPS, Math.max(0, Math.floor(ageMs / (windowMs / CLAIM_STEPS))));
  return member.claims[step] ?? member.share;
}

/**
 * Reads the other members of a lease document. `observations` is this reader's memory of when each
 * member's `seq` last changed; it is updated in place (new sequence numbers, forgotten members).
 *
 * A member is live while its entry changed within its own `leaseMs`. A member that stops renewing (it died, or
 * lost the store) keeps its claim until a whole window after its lease ran out: requests it sent before
 * then may still be in the service's window. Its last renewal was no later than when we first saw it,
 * so measuring from `firstSeenAt` only errs on the safe side.
 */
export function observePeers(
  members: Readonly<Record<string, LeaseMember>>,
  self: string,
  observations: Map<string, Observation>,
  now: number,
  times: AllocationTimes,
): PeerView {
  const liveDemands: number[] = [];
  const expired: string[] = [];
  let othersClaim = 0;
  for (const [id, member] of Object.entries(members)) {
    if (id === self) continue;
    let seen = observations.get(id);
    if (!seen || seen.seq !== member.seq) {
      seen = { seq: member.seq, firstSeenAt: now };
      observations.set(id, seen);
    }
    const age = now - seen.firstSeenAt;
    if (age >= member.leaseMs + times.windowMs) {
      expired.push(id);
      continue;
    }
    if (age < member.leaseMs) liveDemands.push(member.demand);
    othersClaim += claimAt(member, age, times.windowMs);
  }
  for (const id of observations.keys()) if (!(id in members)) observations.delete(id);
  return { liveDemands, othersClaim, expired };
}

/**
 * Max-min fair shares of a capacity of 1 by demand; what no one asked for is split equally.
 * E.g. demands [0.1, 0.8, 0.8] give [0.1, 0.45, 0.45]; [0.1, 0.2] give [0.45, 0.55].
 */
export function fairShares(demands: readonly number[]): number[] {
  const shares = demands.map(() => 0);
  const order = demands.map((_, index) => index).sort((a, b) => demands[a]! - demands[b]!);
  let remaining = 1;
  order.forEach((index, position) => {
    const equal = remaining / (order.length - position);
    const given = Math.min(Math.max(0, demands[index]!), equal);
    shares[index] = given;
    remaining -= given;
  });
  if (remaining > 0 && shares.length > 0) {
    for (let i = 0; i < shares.length; i += 1) shares[i]! += remaining / shares.length;
  }
  return shares;
}

export interface ShareDecision {
  /** The fair target, before what the others still hold is taken into account. */
  readonly target: number;
  /** What this instance may use from now on. */
  readonly share: number;
}

/** Floors to 1/10,000 so rounding never grants a hair more than is free. */
const floorShare = (value: number): number => Math.max(0, Math.floor(value * 10_000) / 10_000);

export function decideShare(ownDemand: number, peers: PeerView, upperBound: number): ShareDecision {
  const target = Math.min(upperBound, fairShares([ownDemand, ...peers.liveDemands])[0]!);
  const free = 1 - peers.othersClaim;
  return { target: floorShare(target), share: floorShare(Math.min(target, free)) };
}

/**
 * This instance's claim schedule: for each quarter of a window from now, the most it may be using then,
 * which is its share or what it already sent and is still in the window, whichever is larger.
 * `usageAt(offsetMs)` is the fraction of the quota its sent requests still occupy `offsetMs` from now.
 */
export function claimSchedule(
  share: number,
  usageAt: (offsetMs: number) => number,
  windowMs: number,
): number[] {
  const claims: number[] = [];
  for (let step = 0; step < CLAIM_STEPS; step += 1) {
    claims.push(Math.min(1, Math.max(share, usageAt((step * windowMs) / CLAIM_STEPS))));
  }
  claims.push(Math.min(1, share));
  // Rounded up (never claims less than it may use); the epsilon keeps float noise from adding 1/10,000.
  return claims.map((claim) => Math.max(0, Math.ceil(claim * 10_000 - 1e-9) / 10_000));
}
