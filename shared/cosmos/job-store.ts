/**
 * JobStore on Cosmos DB (`jobs` container, partition key /tenantId). Point reads, ETag-conditioned
 * replaces and a filter-conditioned patch keep each transition to one request; listing is a
 * single-partition query.
 */
import type { Container, ItemDefinition, PatchOperation } from '@azure/cosmos';
import type { JobDocument, StoredJob } from '../jobs/job.js';
import type { JobRequest } from '../jobs/job-request.js';
import type { CreateResult, JobPage, JobStore, ListJobsQuery, TerminalFields } from '../jobs/job-store.js';
import { createWithoutContent, fromCosmosItem, statusCodeOf } from './items.js';
import { invalidContinuationToken } from '../jobs/continuation-token.js';
import { requestOf, withRequestStored, type RequestBodies } from './request-bodies.js';

/**
 * Cosmos DB conditional patch: the filter is evaluated on the stored document atomically with the write,
 * and a document that does not match is answered 412 Precondition Failed. `queued` is the only status
 * that may move to a terminal one (canTransition, shared/jobs/job.ts). Kept all lower case: the embedded
 * Cosmos DB (@vercel/cosmosdb-server 1.0.1) lowercases a `FROM c WHERE` filter before evaluating it, so
 * a camelCase property or a mixed-case literal would be compared wrongly there.
 */
const OPEN_CONDITION = "FROM c WHERE c.status = 'queued'";

export class CosmosJobStore implements JobStore {
  /** Without `bodies`, every request stays in its document (whose size Cosmos DB caps at 2 MB). */
  constructor(
    private readonly container: Container,
    private readonly bodies?: RequestBodies,
  ) {}

  async create(job: JobDocument): Promise<CreateResult> {
    // The stored document is the one sent: only its ETag comes back (createWithoutContent). A large
    // request is stored by reference (request-bodies.ts); the caller gets its job back as it gave it.
    const document = await withRequestStored(job, this.bodies);
    const { statusCode, etag } = await createWithoutContent(this.container, document, job.tenantId);
    if (statusCode === 201) {
      if (etag) return { created: true, stored: { job, etag } };
      // Created, but the answer carried no ETag: read it rather than report a failed create.
      const written = await this.get(job.tenantId, job.id);
      if (written) return { created: true, stored: written };
    }
    if (statusCode !== 409) throw new Error(`job ${job.id} was not created (Cosmos DB status ${statusCode})`);
    const existing = await this.get(job.tenantId, job.id);
    // Deleted between our create and read (TTL): surface the conflict rather than guess.
    if (!existing) throw new Error(`job ${job.id} conflicted on create but could not be read`);
    return { created: false, stored: existing };
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

  requestOf(job: JobDocument): Promise<JobRequest> {
    return requestOf(job, this.bodies);
  }

  async replace(job: JobDocument, etag: string): Promise<StoredJob | 'stale'> {
    const document = await withRequestStored(job, this.bodies);
    try {
      const response = await this.container
        .item(job.id, job.tenantId)
        .replace<JobDocument>(document, { accessCondition: { type: 'IfMatch', condition: etag } });
      return this.toStored(response.resource, response.etag);
    } catch (error) {
      if (statusCodeOf(error) === 412) return 'stale';
      throw error;
    }
  }

  async completeIfOpen(
    tenantId: string,
    jobId: string,
    fields: TerminalFields,
  ): Promise<StoredJob | 'not-open' | undefined> {
    try {
      const response = await this.container
        .item(jobId, tenantId)
        .patch<JobDocument>({ condition: OPEN_CONDITION, operations: setOperationsOf(fields) });
      // The response carries the whole document as patched, so the caller needs no read.
      return this.toStored(response.resource, response.etag);
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 412) return 'not-open';
      if (status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Filtered on the indexed `status` and `deadlineAt` (range), projected to the two ids, TOP-bounded: the
   * charge grows with the stalled jobs found and the partitions visited, not with the jobs stored.
   */
  async listStalled(
    beforeMs: number,
    limit: number,
    fromMs?: number,
  ): Promise<Array<{ tenantId: string; id: string }>> {
    const from = fromMs === undefined ? '' : ' AND c.deadlineAt >= @from';
    const { resources } = await this.container.items
      .query<{ tenantId: string; id: string }>({
        query: `SELECT TOP @limit c.tenantId, c.id FROM c WHERE c.status = 'queued' AND c.deadlineAt < @before${from} ORDER BY c.deadlineAt`,
        parameters: [
          { name: '@limit', value: limit },
          { name: '@before', value: beforeMs },
          ...(fromMs === undefined ? [] : [{ name: '@from', value: fromMs }]),
        ],
      })
      .fetchAll();
    return resources.map(({ tenantId, id }) => ({ tenantId, id }));
  }

  async list(tenantId: string, query: ListJobsQuery): Promise<JobPage> {
    // The SDK sends the token as the x-ms-continuation header, and node throws a TypeError (ERR_INVALID_CHAR,
    // no status code) for a NUL, CR, LF or anything past Latin-1 there: that is the caller's input, not our
    // 500. Cosmos DB's own tokens are printable ASCII (JSON with base64 ids), so nothing valid is refused.
    if (query.continuationToken !== undefined && !/^[\x20-\x7e]*$/.test(query.continuationToken)) {
      throw invalidContinuationToken();
    }
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
    const page = await iterator.fetchNext().catch((error: unknown) => {
      // A token that passed the caller-side check but that Cosmos DB refuses (400) is still the caller's
      // input, not our failure.
      if (query.continuationToken && statusCodeOf(error) === 400) throw invalidContinuationToken();
      throw error;
    });
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

/** One `set` per present field (set creates or overwrites the property); absent fields stay untouched. */
function setOperationsOf(fields: TerminalFields): PatchOperation[] {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ({ op: 'set', path: `/${name}`, value }));
}
