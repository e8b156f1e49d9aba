/**
 * Per-tenant usage totals over a time range, read from the job documents (the source of truth: no
 * separate counters that could drift when a stage runs twice). One single-partition aggregate query.
 */
import type { Container } from '@azure/cosmos';

export interface UsageTotals {
  readonly jobs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
}

export interface UsageReader {
  /** Jobs that finished in [since, until) with usage recorded (succeeded, or failed after a model call). */
  totals(tenantId: string, since: Date, until: Date): Promise<UsageTotals>;
}

type AggregateRow = Partial<Record<keyof UsageTotals, number>>;

/** The tenant's jobs that finished in [@since, @until): the filter the usage queries share. */
export const FINISHED_BETWEEN =
  'c.tenantId = @tenantId AND c.completedAt >= @since AND c.completedAt < @until';

export function finishedBetweenParameters(tenantId: string, since: Date, until: Date) {
  return [
    { name: '@tenantId', value: tenantId },
    // ISO 8601 in UTC: string order is time order.
    { name: '@since', value: since.toISOString() },
    { name: '@until', value: until.toISOString() },
  ];
}

export class CosmosUsageReader implements UsageReader {
  constructor(private readonly jobs: Container) {}

  async totals(tenantId: string, since: Date, until: Date): Promise<UsageTotals> {
    const { resources } = await this.jobs.items
      .query<AggregateRow>(
        {
          query: `SELECT COUNT(1) AS jobs, SUM(c.usage.promptTokens) AS promptTokens,
                    SUM(c.usage.completionTokens) AS completionTokens, SUM(c.usage.cachedTokens) AS cachedTokens,
                    SUM(c.usage.totalTokens) AS totalTokens, SUM(c.usage.costUsd) AS costUsd
                  FROM c WHERE ${FINISHED_BETWEEN} AND IS_NUMBER(c.usage.totalTokens)`,
          parameters: finishedBetweenParameters(tenantId, since, until),
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    const row = resources[0] ?? {};
    return {
      jobs: row.jobs ?? 0,
      promptTokens: row.promptTokens ?? 0,
      completionTokens: row.completionTokens ?? 0,
      cachedTokens: row.cachedTokens ?? 0,
      totalTokens: row.totalTokens ?? 0,
      costUsd: Math.round((row.costUsd ?? 0) * 1e8) / 1e8,
    };
  }
}
