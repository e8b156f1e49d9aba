/**
 * A virtual-time harness for the fair scheduler: jobs arrive evenly per tenant, each asks the scheduler
 * and then a real QuotaBudget (the deployment's pacer), and a job held back or paced comes back after
 * the delay it was given, as its rescheduled message would. No wall clock: results are exact.
 */
import { FairScheduler } from '../../../../shared/model/fairness/fair-scheduler.js';
import type { CallScheduling } from '../../../../shared/model/port.js';
import { QuotaBudget } from '../../../../shared/model/quota-budget.js';

export interface SimTenant {
  readonly id: string;
  /** Tokens per window this tenant submits. */
  readonly tokensPerWindow: number;
  readonly cost: number;
  readonly scheduling?: Omit<CallScheduling, 'deadlineAt'>;
  /** Each job must be called within this long of its submission. */
  readonly deadlineMs?: number;
}

export interface SimJob {
  readonly tenantId: string;
  readonly priority: string;
  readonly submittedAt: number;
  readonly deadlineAt?: number;
  calledAt?: number;
}

export interface SimResult {
  readonly jobs: SimJob[];
  readonly reasons: Map<string, number>;
  /** Tokens each tenant was admitted between `from` and `to`. */
  tokens(tenantId: string, from: number, to: number, priority?: string): number;
}

export function simulate(options: {
  windowMs: number;
  capacity: number;
  durationMs: number;
  tenants: readonly SimTenant[];
  fleetFraction?: number;
  /** Stop submitting after this long (default: the whole run). */
  submitForMs?: number;
  /** Instances sharing the deployment, each with its own budget and scheduler (default 1). */
  instances?: number;
}): SimResult {
  const { windowMs, capacity, durationMs } = options;
  // Each instance paces to its part of the quota and gets every n-th job of each tenant, as competing
  // consumers of one queue do.
  const instances = Array.from({ length: options.instances ?? 1 }, () => {
    const part = capacity / (options.instances ?? 1);
    const budget = new QuotaBudget({
      tokensPerMinute: (part * 60_000) / windowMs,
      requestsPerMinute: 1_000_000,
      tokenWindowMs: windowMs,
      requestWindowMs: windowMs,
      share: 1,
      expiryMarginMs: 0,
    });
    const scheduler = new FairScheduler({
      windowMs,
      horizonMs: 100 * windowMs,
      capacity: () => part,
      free: (now) => budget.freeTokens(now),
      fleetFraction: () => options.fleetFraction ?? 1 / (options.instances ?? 1),
    });
    return { budget, scheduler };
  });
  const jobs: SimJob[] = [];
  const ready: Array<{ job: SimJob; at: number; id: string; tenant: SimTenant; instance: number }> = [];
  const reasons = new Map<string, number>();
  const charged: Array<{ tenantId: string; priority: string; at: number; tokens: number }> = [];
  const submitUntil = options.submitForMs ?? durationMs;
  for (const tenant of options.tenants) {
    const perJobMs = (windowMs * tenant.cost) / tenant.tokensPerWindow;
    for (let at = 0, n = 0; at < submitUntil; at += perJobMs, n += 1) {
      const submittedAt = Math.floor(at);
      const job: SimJob = {
        tenantId: tenant.id,
        priority: tenant.scheduling?.priority ?? 'standard',
        submittedAt,
        ...(tenant.deadlineMs !== undefined ? { deadlineAt: submittedAt + tenant.deadlineMs } : {}),
      };
      jobs.push(job);
      ready.push({ job, at: submittedAt, id: `${tenant.id}-${n}`, tenant, instance: n % instances.length });
    }
  }
  for (let now = 0; now < durationMs; now += 1) {
    const due = ready.filter((entry) => entry.at <= now && entry.job.calledAt === undefined);
    due.sort((a, b) => a.at - b.at);
    for (const entry of due) {
      const { job, tenant } = entry;
      const { budget, scheduler } = instances[entry.instance]!;
      const context = {
        tenantId: tenant.id,
        jobId: entry.id,
        scheduling: {
          priority: 'standard' as const,
          weight: 1,
          ...tenant.scheduling,
          ...(job.deadlineAt !== undefined ? { deadlineAt: job.deadlineAt } : {}),
        },
      };
      const decision = scheduler.admit(context, tenant.cost, now);
      if (decision.kind === 'wait') {
        reasons.set(decision.reason, (reasons.get(decision.reason) ?? 0) + 1);
        entry.at = now + decision.waitMs;
        continue;
      }
      const wait = budget.waitMs(tenant.cost, now);
      if (wait > 0) {
        reasons.set('paced', (reasons.get('paced') ?? 0) + 1);
        scheduler.release(context, tenant.cost);
        entry.at = now + scheduler.deferral(context, tenant.cost, wait, now);
        continue;
      }
      budget.reserve(tenant.cost, now);
      scheduler.sent(tenant.cost);
      job.calledAt = now;
      charged.push({ tenantId: tenant.id, priority: job.priority, at: now, tokens: tenant.cost });
    }
  }
  return {
    jobs,
    reasons,
    tokens: (tenantId, from, to, priority) =>
      charged
        .filter((c) => c.tenantId === tenantId && c.at >= from && c.at < to)
        .filter((c) => priority === undefined || c.priority === priority)
        .reduce((sum, c) => sum + c.tokens, 0),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export function waits(jobs: readonly SimJob[], tenantId: string, priority?: string): number[] {
  return jobs
    .filter((j) => j.tenantId === tenantId && (priority === undefined || j.priority === priority))
    .filter((j) => j.calledAt !== undefined)
    .map((j) => j.calledAt! - j.submittedAt);
}
