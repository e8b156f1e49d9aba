/**
 * Daily usage rollups in the `tenants` container (one partition per document, like the tenant records),
 * read from the `jobs` container: one single-partition query per tenant and day, projected to the three
 * fields a rollup sums.
 */
import type { Container } from '@azure/cosmos';
import type { TerminalStatus } from '../jobs/job.js';
import {
  DailyUsageSchema,
  type DailyUsage,
  type FinishedJob,
  type UsageRollupStore,
} from '../tenancy/usage-rollup.js';
import { statusCodeOf } from './items.js';
import { FINISHED_BETWEEN, finishedBetweenParameters } from './usage-reader.js';

const TYPE = 'usageRollup';

function idOf(tenantId: string, day: string): string {
  return `usage-rollup:${tenantId}:${day}`;
}

export class CosmosUsageRollups implements UsageRollupStore {
  constructor(
    private readonly tenants: Container,
    private readonly jobs: Container,
  ) {}

  async get(tenantId: string, day: string): Promise<DailyUsage | undefined> {
    const id = idOf(tenantId, day);
    const { resource } = await this.tenants.item(id, id).read<{ rollup: unknown }>();
    return resource ? DailyUsageSchema.parse(resource.rollup) : undefined;
  }

  async create(rollup: DailyUsage): Promise<void> {
    const id = idOf(rollup.tenantId, rollup.day);
    try {
      await this.tenants.items.create({ id, type: TYPE, rollup });
    } catch (error) {
      // Another instance rolled the day up first: the same jobs, the same sums.
      if (statusCodeOf(error) !== 409) throw error;
    }
  }

  async finishedBetween(tenantId: string, since: Date, until: Date): Promise<FinishedJob[]> {
    const { resources } = await this.jobs.items
      .query<FinishedJob & { status: TerminalStatus }>(
        {
          query: `SELECT c.request.model AS model, c.status, c.usage FROM c WHERE ${FINISHED_BETWEEN}`,
          parameters: finishedBetweenParameters(tenantId, since, until),
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources.map((r) => ({
      model: r.model,
      status: r.status,
      ...(r.usage ? { usage: r.usage } : {}),
    }));
  }
}
