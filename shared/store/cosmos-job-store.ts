/**
 * JobStore on Cosmos DB (`jobs` container, partition key /tenantId). Point reads and ETag-conditioned
 * replaces keep each transition to one request; listing is a single-partition query.
 */
import type { Container, ItemDefinition } from '@azure/cosmos';
import type { JobDocument, StoredJob } from '../jobs/job.js';
import type { CreateResult, JobPage, JobStore, ListJobsQuery } from './job-store.js';
import { fromCosmosItem, statusCodeOf } from './cosmos-items.js';

export class CosmosJobStore implements JobStore {
  constructor(private readonly container: Container) {}

  async create(job: JobDocument): Promise<CreateResult> {
    try {
      const response = await this.container.items.create<JobDocument>(job);
      return { created: true, stored: this.toStored(response.resource, response.etag) };
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw error;
      const existing = await this.get(job.tenantId, job.id);
      // Deleted between our create and read (TTL): surface the conflict rather than guess.
      if (!existing) throw error;
      return { created: false, stored: existing };
    }
  }

  async get(tenantId: string, jobId: string): Promise<StoredJob | undefined> {
    try {
      const response = await this.container.item(jobId, tenantId).read<JobDocument>();
      if (!response.resource) return undefined;
      return this.toStored(response.resource, response.etag);
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  async replace(job: JobDocument, etag: string): Promise<StoredJob | 'stale'> {
    try {
      const response = await this.container
        .item(job.id, job.tenantId)
        .replace<JobDocument>(job, { accessCondition: { type: 'IfMatch', condition: etag } });
      return this.toStored(response.resource, response.etag);
    } catch (error) {
      if (statusCodeOf(error) === 412) return 'stale';
      throw error;
    }
  }

  async list(tenantId: string, query: ListJobsQuery): Promise<JobPage> {
    const filters = ['c.tenantId = @tenantId'];
    const parameters = [{ name: '@tenantId', value: tenantId }];
    if (query.status) {
      filters.push('c.status = @status');
      parameters.push({ name: '@status', value: query.status });
    }
    const iterator = this.container.items.query<JobDocument & ItemDefinition>(
      { query: `SELECT * FROM c WHERE ${filters.join(' AND ')} ORDER BY c.createdAt DESC`, parameters },
      {
        partitionKey: tenantId,
        maxItemCount: query.limit,
        ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
      },
    );
    const page = await iterator.fetchNext();
    return {
      jobs: page.resources.map((item) => fromCosmosItem<JobDocument>(item)),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  }

  private toStored(
    resource: (JobDocument & ItemDefinition) | undefined,
    etag: string | undefined,
  ): StoredJob {
    if (!resource || !etag) throw new Error('Cosmos DB answered without a document or ETag');
    return { job: fromCosmosItem<JobDocument>(resource), etag };
  }
}
