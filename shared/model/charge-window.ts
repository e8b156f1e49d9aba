/**
 * The sliding window of charges a QuotaBudget keeps for one deployment: charges ordered by the time the
 * service stamped them, with running totals per measure, so "how much is still in the window" and "when
 * has enough left it" are binary searches plus a subtraction instead of scans.
 */
export interface Charge {
  /** Moved to the actual send time by `restamp`. */
  at: number;
  readonly tokens: number;
  readonly requests: number;
  /** Usage by other instances or clients, learned from headers: counts against the deployment, not our share. */
  readonly external: boolean;
}

/** The four ways the budget reads the window: tokens or requests, our own charges only or everyone's. */
export type Measure = 'ownTokens' | 'ownRequests' | 'allTokens' | 'allRequests';
const MEASURES: readonly Measure[] = ['ownTokens', 'ownRequests', 'allTokens', 'allRequests'];

function amountOf(charge: Charge, measure: Measure): number {
  switch (measure) {
    case 'ownTokens':
      return charge.external ? 0 : charge.tokens;
    case 'ownRequests':
      return charge.external ? 0 : charge.requests;
    case 'allTokens':
      return charge.tokens;
    case 'allRequests':
      return charge.requests;
  }
}

/** The smallest index in [from, to) where `holds` is true, for a predicate that is false then true; `to` if none. */
function firstIndexWhere(from: number, to: number, holds: (index: number) => boolean): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (holds(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The charges of the window in order of `at`, with a running total per measure, so that the usage of
 * any suffix of the window is one subtraction and the first charge still inside a horizon is one binary
 * search. Expired charges leave from the front by advancing `head` (the arrays are compacted once the dead
 * prefix is as long as the live part, so that costs O(1) amortised). Inserts and removals rewrite the
 * totals after their position only, and they happen near the end: new reservations go last, restamps
 * move a charge a few ms later, releases and external charges concern recent requests.
 * Token and request counts are integers, so the running totals are exact and every comparison gives
 * the same answer as summing the charges one by one.
 */
export class ChargeWindow {
  private charges: Charge[] = [];
  /** totals[measure][i] is the sum of `measure` over charges[0..i); one entry more than `charges`. */
  private totals: Record<Measure, number[]> = {
    ownTokens: [0],
    ownRequests: [0],
    allTokens: [0],
    allRequests: [0],
  };
  /** Charges before this index have expired; the arrays keep them until the next compaction. */
  private head = 0;

  get end(): number {
    return this.charges.length;
  }

  chargeAt(index: number): Charge {
    return this.charges[index]!;
  }

  /** Index of the first charge that still counts at `now` when charges count for `horizonMs`; `end` if none. */
  firstLive(horizonMs: number, now: number): number {
    return firstIndexWhere(this.head, this.end, (i) => this.charges[i]!.at + horizonMs > now);
  }

  /** Sum of `measure` over the charges from `index` to the end of the window. */
  sumFrom(index: number, measure: Measure): number {
    const totals = this.totals[measure];
    return totals[totals.length - 1]! - totals[index]!;
  }

  /**
   * The first charge from `from` on whose expiry leaves usage that `fits` (what remains only falls as
   * charges leave in order, so a binary search finds it); `end` if none does.
   */
  firstLeavingEnough(from: number, measure: Measure, fits: (remaining: number) => boolean): number {
    return firstIndexWhere(from, this.end, (i) => fits(this.sumFrom(i + 1, measure)));
  }

  /** Adds a charge after every charge stamped at or before it (a reservation at `now` goes last). */
  add(charge: Charge): void {
    this.insertAt(this.positionAfter(charge.at), charge);
  }

  /** Removes the charge if it is still in the window; false if it is not (expired or released). */
  remove(charge: Charge): boolean {
    const index = this.indexOf(charge);
    if (index < 0) return false;
    this.removeAt(index);
    return true;
  }

  /** Restamps a charge still in the window to a later time, keeping the window in order. */
  moveLater(charge: Charge, at: number): void {
    if (!this.remove(charge)) return;
    charge.at = at;
    this.add(charge);
  }

  dropExpired(horizonMs: number, now: number): void {
    while (this.head < this.end && this.charges[this.head]!.at + horizonMs <= now) this.head += 1;
    if (this.head > 0 && this.head * 2 >= this.end) this.compact();
  }

  private positionAfter(at: number): number {
    return firstIndexWhere(this.head, this.end, (i) => this.charges[i]!.at > at);
  }

  private indexOf(charge: Charge): number {
    // Charges stamped at the same time are adjacent; the one we look for, if still here, is among them.
    const from = firstIndexWhere(this.head, this.end, (i) => this.charges[i]!.at >= charge.at);
    for (let i = from; i < this.end && this.charges[i]!.at === charge.at; i += 1) {
      if (this.charges[i] === charge) return i;
    }
    return -1;
  }

  private insertAt(index: number, charge: Charge): void {
    this.charges.splice(index, 0, charge);
    for (const measure of MEASURES) {
      const totals = this.totals[measure];
      const amount = amountOf(charge, measure);
      totals.splice(index + 1, 0, totals[index]! + amount);
      for (let i = index + 2; i < totals.length; i += 1) totals[i] = totals[i]! + amount;
    }
  }

  private removeAt(index: number): void {
    const [charge] = this.charges.splice(index, 1);
    for (const measure of MEASURES) {
      const totals = this.totals[measure];
      const amount = amountOf(charge!, measure);
      totals.splice(index + 1, 1);
      for (let i = index + 1; i < totals.length; i += 1) totals[i] = totals[i]! - amount;
    }
  }

  /** Forgets the expired prefix, rebasing the running totals on the first live charge. */
  private compact(): void {
    this.charges = this.charges.slice(this.head);
    for (const measure of MEASURES) {
      const totals = this.totals[measure];
      const base = totals[this.head]!;
      this.totals[measure] = totals.slice(this.head).map((total) => total - base);
    }
    this.head = 0;
  }
}
