/**
 * Daily usage rollups: per tenant, UTC day, model alias and terminal status, the jobs, tokens and cost
 * of the jobs that finished that day. Job documents expire with the tenant's retention; a rollup does
 * not, so a tenant's usage stays answerable for as long as it is wanted. A rollup is written once per
 * tenant and day, after the day ended, from the job documents themselves (no counter to keep exact on
 * every write, no extra write per job).
 */
import { z } from 'zod';
import { TerminalStatusSchema, type JobUsage, type TerminalStatus } from '../jobs/job.js';

export const DailyUsageRowSchema = z.object({
  model: z.string(),
  status: TerminalStatusSchema,
  jobs: z.number().int().min(0),
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  cachedTokens: z.number().int().min(0),
  totalTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
  /** Jobs of a model without a price: their tokens are counted, their cost is not known. */
  unpricedJobs: z.number().int().min(0),
});
export type DailyUsageRow = z.infer<typeof DailyUsageRowSchema>;

export const DailyUsageSchema = z.object({
  tenantId: z.string(),
  /** `YYYY-MM-DD`, UTC. */
  day: z.iso.date(),
  rows: z.array(DailyUsageRowSchema),
  rolledUpAt: z.string(),
});
export type DailyUsage = z.infer<typeof DailyUsageSchema>;

/** A finished job as the rollup reads it. */
export interface FinishedJob {
  readonly model: string;
  readonly status: TerminalStatus;
  readonly usage?: JobUsage;
}

export interface UsageRollupStore {
  get(tenantId: string, day: string): Promise<DailyUsage | undefined>;
  /** Creates the day's rollup; a rollup already there (another instance was first) is kept. */
  create(rollup: DailyUsage): Promise<void>;
  /** The tenant's finished jobs with `completedAt` in [since, until). */
  finishedBetween(tenantId: string, since: Date, until: Date): Promise<FinishedJob[]>;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function sumRows(jobs: readonly FinishedJob[]): DailyUsageRow[] {
  const rows = new Map<string, DailyUsageRow>();
  for (const job of jobs) {
    const key = `${job.model}\u0000${job.status}`;
    const row = rows.get(key) ?? {
      model: job.model,
      status: job.status,
      jobs: 0,
      promptTokens: 0,
      completionTokens: 0,
      cachedTokens: 0,
      totalTokens: 0,
      costUsd: 0,
      unpricedJobs: 0,
    };
    const usage = job.usage;
    rows.set(key, {
      ...row,
      jobs: row.jobs + 1,
      promptTokens: row.promptTokens + (usage?.promptTokens ?? 0),
      completionTokens: row.completionTokens + (usage?.completionTokens ?? 0),
      cachedTokens: row.cachedTokens + (usage?.cachedTokens ?? 0),
      totalTokens: row.totalTokens + (usage?.totalTokens ?? 0),
      costUsd: Math.round((row.costUsd + (usage?.costUsd ?? 0)) * 1e10) / 1e10,
      unpricedJobs: row.unpricedJobs + (usage?.costUnknown ? 1 : 0),
    });
  }
  return [...rows.values()].sort(
    (a, b) => a.model.localeCompare(b.model) || a.status.localeCompare(b.status),
  );
}

/**
 * Rolls up `day` (`YYYY-MM-DD`) for each tenant that has none yet. The caller passes a day that has
 * ended: a job finishing later than that cannot belong to it.
 */
export async function rollUpDay(
  deps: {
    readonly rollups: UsageRollupStore;
    readonly tenantIds: () => Promise<readonly string[]>;
    readonly clock: () => number;
  },
  day: string,
): Promise<number> {
  const since = new Date(`${day}T00:00:00.000Z`);
  const until = new Date(since.getTime() + 24 * 60 * 60 * 1000);
  if (until.getTime() > deps.clock()) throw new Error(`${day} has not ended yet`);
  let written = 0;
  for (const tenantId of await deps.tenantIds()) {
    if (await deps.rollups.get(tenantId, day)) continue;
    const jobs = await deps.rollups.finishedBetween(tenantId, since, until);
    await deps.rollups.create({
      tenantId,
      day,
      rows: sumRows(jobs),
      rolledUpAt: new Date(deps.clock()).toISOString(),
    });
    written += 1;
  }
  return written;
}
