/**
 * Fair admission to one model alias's pool on this instance, asked before a call is routed:
 *
 * - A tenant's model tokens per minute (its record's limit for the alias) hold across the fleet: each
 *   instance allows an equal part of the limit per live instance (the lease documents count them), as
 *   Service Bus spreads each tenant's messages evenly over the consumers.
 * - When the pool is saturated, tenants share this instance's capacity by weight, by water filling over
 *   what each asked for in the last window (weighted max-min fairness): a tenant that asks for less than
 *   its share gets all it asks and the rest is divided among the others. A call within its tenant's share
 *   goes; one beyond it goes only if it fits in what the others leave unused, else it waits.
 * - Within a tenant's share, interactive work comes first, then standard, then background; a job whose
 *   deadline is near counts as interactive, and no job is deferred past the point where it would become so.
 *
 * A job that must wait is not failed: its message is rescheduled at a slot of its own tenant and
 * priority's virtual queue (a virtual queue in the spirit of GCRA, at the rate of their share), so a flood from one tenant queues behind
 * itself, not in front of the others. Everything is this instance's view: Service Bus hands each
 * instance a sample of every tenant's work, so local shares approximate the fleet's.
 */
import type { ModelCallContext } from '../port.js';
import { CLASSES, TenantLedger, type PriorityClass } from './tenant-ledger.js';
import { waterFill } from './water-fill.js';

export interface FairSchedulerOptions {
  /** The pool's token window (the service's TPM window). */
  readonly windowMs: number;
  /** Tokens per window this instance may send through the pool (divided among tenants by weight). */
  readonly capacity: () => number;
  /**
   * Tokens the pool's budgets would still admit now. The headroom beyond a tenant's share is read from
   * the budgets, not from the scheduler's own charges: the budgets count sends later (restamped) and
   * keep a margin, so a slot the scheduler sees free may not be, and taking it would take another's.
   */
  readonly free: (now: number) => number;
  /** The part of each tenant's limit this instance enforces, [0, 1] (one over the live instances). */
  readonly fleetFraction: () => number;
  /** Farthest a deferred job is pushed out. */
  readonly horizonMs: number;
  /** A job this close to its deadline counts as interactive (default: two windows). */
  readonly urgentWithinMs?: number;
}

/** What the scheduler reads of a call: the model call's own context. */
export type FairAsk = Pick<ModelCallContext, 'tenantId' | 'jobId' | 'scheduling'>;

export interface FairWait {
  readonly kind: 'wait';
  readonly waitMs: number;
  readonly reason: 'tenant_limit' | 'fair_share';
}
export type FairDecision = { readonly kind: 'go' } | FairWait;

const GO: FairDecision = { kind: 'go' };

export class FairScheduler {
  private readonly ledgers = new Map<string, TenantLedger>();
  private readonly urgentWithinMs: number;
  /** Tokens admitted here but not yet reserved in a deployment's budget (the budgets do not see them). */
  private pending = 0;

  constructor(private readonly options: FairSchedulerOptions) {
    this.urgentWithinMs = options.urgentWithinMs ?? 2 * options.windowMs;
  }

  admit(ask: FairAsk, cost: number, now: number): FairDecision {
    this.expire(now);
    const ledger = this.ledgerOf(ask);
    const cls = this.classOf(ask, now);
    ledger.ask(ask.jobId, cost, cls, now + this.options.windowMs);

    const limit = this.limitTokens(ask);
    if (limit !== undefined && ledger.usedTotal() > 0 && ledger.usedTotal() + cost > limit) {
      const wait = ledger.waitUntilFits(cost, limit, now);
      const waitMs = this.slotDelay(ledger, ask, 'limit', cost, wait, limit / this.options.windowMs, now);
      return { kind: 'wait', waitMs, reason: 'tenant_limit' };
    }

    const shares = this.shares();
    const mine = shares.get(ledger)?.[cls] ?? 0;
    // A request larger than its share still goes once the tenant has nothing in the window (as the
    // service admits an oversized request into an empty window), or it could never go under contention.
    if (cost > mine && ledger.usedTotal() === 0) return this.admitted(ledger, cls, cost, now);
    // It goes if what the budgets still admit leaves every other tenant and class the unused rest of
    // its share: within its own share that holds by construction, beyond it only from capacity others
    // leave unused. When nobody else has a claim (one tenant and class at work), holding it back helps
    // no one: the deployments' budgets decide, with their exact timing.
    const reserved = this.reservedForOthers(shares, ledger, cls);
    if (reserved === 0 || this.options.free(now) - this.pending - reserved >= cost)
      return this.admitted(ledger, cls, cost, now);
    const wait = ledger.waitUntilFits(cost, mine, now, cls);
    const waitMs = this.slotDelay(ledger, ask, cls, cost, wait, mine / this.options.windowMs, now);
    return { kind: 'wait', waitMs, reason: 'fair_share' };
  }

  /**
   * An admitted call reached a deployment's budget (reserved there): it no longer needs counting as
   * pending. Admission charges at once, because calls run concurrently and each must see the others.
   */
  sent(cost: number): void {
    this.pending = Math.max(0, this.pending - cost);
  }

  /** An admitted call was not made after all (no deployment could take it now): its charge goes. */
  release(ask: FairAsk, cost: number): void {
    this.sent(cost);
    this.ledgers.get(ask.tenantId)?.uncharge(cost);
  }

  /**
   * The job was admitted here but no deployment can take it now (`waitMs` until one can): its slot in
   * its tenant and class's queue, at the rate of their share, so each tenant's backlog drains at its own pace.
   */
  deferral(ask: FairAsk, cost: number, waitMs: number, now: number): number {
    const ledger = this.ledgerOf(ask);
    const cls = this.classOf(ask, now);
    ledger.ask(ask.jobId, cost, cls, now + this.options.windowMs);
    const share = this.shares().get(ledger)?.[cls] ?? 0;
    return this.slotDelay(ledger, ask, cls, cost, waitMs, share / this.options.windowMs, now);
  }

  /** Per tenant: tokens per window and per class; for tests and status. */
  snapshot(now: number): Record<string, { used: number[]; share: number[]; weight: number }> {
    this.expire(now);
    const shares = this.shares();
    const rows: Record<string, { used: number[]; share: number[]; weight: number }> = {};
    for (const [tenantId, ledger] of this.ledgers) {
      rows[tenantId] = {
        used: [0, 1, 2].map((c) => ledger.usedBy(c as PriorityClass)),
        share: shares.get(ledger)!.map(Math.round),
        weight: ledger.weight,
      };
    }
    return rows;
  }

  private admitted(ledger: TenantLedger, cls: PriorityClass, cost: number, now: number): FairDecision {
    ledger.charge(cost, cls, now);
    if (ledger.slots[cls]! < now) ledger.slots[cls] = now;
    this.pending += cost;
    return GO;
  }

  private ledgerOf(ask: FairAsk): TenantLedger {
    let ledger = this.ledgers.get(ask.tenantId);
    if (!ledger) {
      ledger = new TenantLedger(this.options.windowMs);
      this.ledgers.set(ask.tenantId, ledger);
    }
    // The weight travels with the job; the latest one seen is the tenant's current setting.
    ledger.weight = ask.scheduling?.weight ?? 1;
    return ledger;
  }

  private classOf(ask: FairAsk, now: number): PriorityClass {
    const { priority = 'standard', deadlineAt } = ask.scheduling ?? {};
    if (deadlineAt !== undefined && deadlineAt - now <= this.urgentWithinMs) return 0;
    return CLASSES.indexOf(priority) as PriorityClass;
  }

  private limitTokens(ask: FairAsk): number | undefined {
    const perMinute = ask.scheduling?.tokensPerMinute;
    if (perMinute === undefined) return undefined;
    return ((perMinute * this.options.windowMs) / 60_000) * this.options.fleetFraction();
  }

  /** Each tenant's share of this instance's capacity by weight, then split by priority within it. */
  private shares(): Map<TenantLedger, number[]> {
    const wants = new Map<TenantLedger, number[]>();
    for (const ledger of this.ledgers.values())
      wants.set(
        ledger,
        [0, 1, 2].map((c) => ledger.wants(c as PriorityClass)),
      );
    const tenantShares = waterFill(
      this.options.capacity(),
      [...wants].map(([ledger, byClass]) => ({
        key: ledger,
        weight: ledger.weight,
        demand: byClass.reduce((sum, tokens) => sum + tokens, 0),
      })),
    );
    const shares = new Map<TenantLedger, number[]>();
    for (const [ledger, byClass] of wants) {
      let left = tenantShares.get(ledger) ?? 0;
      shares.set(
        ledger,
        byClass.map((wanted) => {
          const given = Math.min(wanted, left);
          left -= given;
          return given;
        }),
      );
    }
    return shares;
  }

  /** What every other tenant and class may still use of its share in the window. */
  private reservedForOthers(
    shares: Map<TenantLedger, number[]>,
    own: TenantLedger,
    ownClass: PriorityClass,
  ): number {
    let reserved = 0;
    for (const [ledger, byClass] of shares) {
      byClass.forEach((share, cls) => {
        if (ledger === own && cls === ownClass) return;
        reserved += Math.max(0, share - ledger.usedBy(cls as PriorityClass));
      });
    }
    return reserved;
  }

  private usedTotal(): number {
    let used = 0;
    for (const ledger of this.ledgers.values()) used += ledger.usedTotal();
    return used;
  }

  /**
   * A slot in the tenant's queue for `queue` (a class, or its token limit) at `tokensPerMs`, no earlier
   * than `waitMs` from now, no later than the horizon, and, for a job not yet urgent, no later than when
   * it becomes urgent (so background work that waited long enough goes first before its deadline).
   */
  private slotDelay(
    ledger: TenantLedger,
    ask: FairAsk,
    queue: PriorityClass | 'limit',
    cost: number,
    waitMs: number,
    tokensPerMs: number,
    now: number,
  ): number {
    const next = queue === 'limit' ? ledger.limitSlot : ledger.slots[queue]!;
    let latest = now + this.options.horizonMs;
    const deadlineAt = ask.scheduling?.deadlineAt;
    if (deadlineAt !== undefined && deadlineAt - now > this.urgentWithinMs)
      latest = Math.min(latest, deadlineAt - this.urgentWithinMs);
    const at = Math.min(Math.max(now + waitMs, next), latest);
    const after = Math.max(next, at) + cost / Math.max(1e-9, tokensPerMs);
    if (queue === 'limit') ledger.limitSlot = after;
    else ledger.slots[queue] = after;
    const delay = Math.max(1, Math.ceil(at - now));
    ledger.extend(ask.jobId, now + delay + this.options.windowMs);
    return delay;
  }

  private expire(now: number): void {
    for (const [tenantId, ledger] of this.ledgers) {
      ledger.expire(now);
      if (ledger.idle()) this.ledgers.delete(tenantId);
    }
  }
}
