/**
 * The job watcher's shared poll on Cosmos DB (shared/watch/job-watcher.ts): one query for a batch of
 * waited-on jobs, answering only those no longer queued. Cross-partition (the waited-on jobs belong to
 * any tenant), filtered on the indexed `id` and `status`, so its charge grows with the ids asked and the
 * jobs that ended, not with the jobs stored; the tenant is matched too, since an id is unique only
 * within its partition.
 */
import type { Container } from '@azure/cosmos';
import type { JobDocument } from '../jobs/job.js';
import type { FinishedJobsReader, JobKey } from '../watch/job-watcher.js';
import { fromCosmosItem } from './items.js';

export class CosmosFinishedJobs implements FinishedJobsReader {
  constructor(private readonly container: Container) {}

  async finished(keys: readonly JobKey[]): Promise<readonly JobDocument[]> {
    if (keys.length === 0) return [];
    // `IN` over parameters: an equality lookup on the id index per id, the form Cosmos DB serves best.
    const ids = [...new Set(keys.map((key) => key.id))];
    const parameters = ids.map((id, index) => ({ name: `@id${index}`, value: id }));
    const { resources } = await this.container.items
      .query<JobDocument>({
        query: `SELECT * FROM c WHERE c.id IN (${parameters.map((p) => p.name).join(', ')}) AND c.status != 'queued'`,
        parameters,
      })
      .fetchAll();
    const asked = new Set(keys.map((key) => `${key.tenantId}\u0000${key.id}`));
    return resources
      .filter((job) => asked.has(`${job.tenantId}\u0000${job.id}`))
      .map((item) => fromCosmosItem<JobDocument>(item));
  }
}
