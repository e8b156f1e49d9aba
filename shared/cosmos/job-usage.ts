/**
 * In-flight counts and daily token usage read from the `jobs` container (partition key /tenantId).
 * Both are single-partition queries (the tenant id is the partition key and the first filter), so one
 * tenant's volume never makes another tenant's queries slower. The job documents are the source of
 * truth: no separate counters to drift when a stage runs twice or not at all.
 *
 * Field names follow shared/jobs/job.ts: `status` ('queued' until a terminal state), `completedAt`
 * (ISO 8601, so string order is time order) and `usage.totalTokens`.
 */
import type { Container } from '@azure/cosmos';
import type { InFlightCounter } from '../tenancy/in-flight.js';
import type { TokenUsageReader } from '../tenancy/budget.js';

export class CosmosJobUsage implements InFlightCounter, TokenUsageReader {
  constructor(private readonly jobs: Container) {}

  async countInFlight(tenantId: string): Promise<number> {
    const { resources } = await this.jobs.items
      .query<number>(
        {
          query: 'SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @tenantId AND c.status = @status',
          parameters: [
            { name: '@tenantId', value: tenantId },
            { name: '@status', value: 'queued' },
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources[0] ?? 0;
  }

  async tokensUsedSince(tenantId: string, since: Date): Promise<number> {
    const { resources } = await this.jobs.items
      .query<number>(
        {
          query:
            'SELECT VALUE SUM(c.usage.totalTokens) FROM c WHERE c.tenantId = @tenantId AND c.completedAt >= @since AND IS_NUMBER(c.usage.totalTokens)',
          parameters: [
            { name: '@tenantId', value: tenantId },
            { name: '@since', value: since.toISOString() },
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources[0] ?? 0;
  }
}
