/**
 * In-flight counts and daily usage computed through the JobStore port, page by page. Any JobStore
 * works (the in-memory fake included), so tests and the dev host get the same semantics as
 * CosmosJobUsage without a second implementation of "what is in flight". O(jobs) per call: for tests
 * and tools, not for production (use CosmosJobUsage there).
 */
import type { JobStore } from '../../shared/jobs/job-store.js';
import type { TokenUsageReader } from '../../shared/tenancy/budget.js';
import type { InFlightCounter } from '../../shared/tenancy/in-flight.js';

export class JobStoreUsage implements InFlightCounter, TokenUsageReader {
  constructor(private readonly jobs: Pick<JobStore, 'list'>) {}

  async countInFlight(tenantId: string): Promise<number> {
    let count = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.jobs.list(tenantId, {
        status: 'queued',
        limit: 100,
        ...(continuationToken ? { continuationToken } : {}),
      });
      count += page.jobs.length;
      continuationToken = page.continuationToken;
    } while (continuationToken);
    return count;
  }

  async tokensUsedSince(tenantId: string, since: Date): Promise<number> {
    const sinceIso = since.toISOString();
    let total = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.jobs.list(tenantId, {
        limit: 100,
        ...(continuationToken ? { continuationToken } : {}),
      });
      for (const job of page.jobs) {
        if (job.completedAt && job.completedAt >= sinceIso) total += job.usage?.totalTokens ?? 0;
      }
      continuationToken = page.continuationToken;
    } while (continuationToken);
    return total;
  }
}
