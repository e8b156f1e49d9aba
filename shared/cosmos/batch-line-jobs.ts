/**
 * The jobs of batch lines in the `jobs` container: created with bulk requests (executeBulkOperations
 * groups them per partition range, up to 100 operations a request, instead of one request per line),
 * counted and read back by `batch.id` (indexed) inside the tenant's partition.
 */
import type { Container, ItemDefinition, JSONObject, OperationInput } from '@azure/cosmos';
import type { BulkCreateOutcome, LineJobStore } from '../batches/ports.js';
import type { JobDocument, JobStatus } from '../jobs/job.js';
import { fromCosmosItem } from './items.js';
import { withRequestStored, type RequestBodies } from './request-bodies.js';

/** Jobs per page when a batch's jobs are read back: bounded memory, a few RU per page. */
const PAGE_SIZE = 200;

export class CosmosLineJobStore implements LineJobStore {
  /** Without `bodies`, every line's request stays in its job document (which Cosmos DB caps at 2 MB). */
  constructor(
    private readonly container: Container,
    private readonly bodies?: RequestBodies,
  ) {}

  async createMany(jobs: readonly JobDocument[]): Promise<BulkCreateOutcome[]> {
    if (jobs.length === 0) return [];
    // A large line's request is stored first and its job holds the reference (request-bodies.ts); a
    // chunk's bytes are bounded by the fan-out (chunkBytes), so these writes are too.
    const documents = await Promise.all(jobs.map((job) => withRequestStored(job, this.bodies)));
    const operations: OperationInput[] = documents.map((job) => ({
      operationType: 'Create',
      partitionKey: job.tenantId,
      // Plain JSON (it came from a parsed line); the SDK's JSONObject type cannot say so of `unknown`.
      resourceBody: job as unknown as JSONObject,
    }));
    // Without the documents in the answers: only the status of each create is needed.
    const results = await this.container.items.executeBulkOperations(operations, {
      contentResponseOnWriteEnabled: false,
    });
    return results.map((result, index) => {
      const status = result.response?.statusCode ?? result.error?.code;
      if (status === 201) return 'created';
      if (status === 409) return 'exists';
      throw new Error(`line job ${jobs[index]?.id} was not created (Cosmos DB status ${String(status)})`);
    });
  }

  async count(tenantId: string, batchId: string, status: JobStatus): Promise<number> {
    const { resources } = await this.container.items
      .query<number>(
        {
          query:
            'SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @tenantId AND c.batch.id = @batchId AND c.status = @status',
          parameters: [
            { name: '@tenantId', value: tenantId },
            { name: '@batchId', value: batchId },
            { name: '@status', value: status },
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources.reduce((sum, each) => sum + each, 0);
  }

  async *scan(tenantId: string, batchId: string, statuses: readonly JobStatus[]): AsyncIterable<JobDocument> {
    const iterator = this.container.items.query<JobDocument & ItemDefinition>(
      {
        query:
          'SELECT * FROM c WHERE c.tenantId = @tenantId AND c.batch.id = @batchId AND ARRAY_CONTAINS(@statuses, c.status)',
        parameters: [
          { name: '@tenantId', value: tenantId },
          { name: '@batchId', value: batchId },
          { name: '@statuses', value: [...statuses] },
        ],
      },
      { partitionKey: tenantId, maxItemCount: PAGE_SIZE },
    );
    while (iterator.hasMoreResults()) {
      const page = await iterator.fetchNext();
      for (const item of page.resources) yield fromCosmosItem<JobDocument>(item);
    }
  }
}
