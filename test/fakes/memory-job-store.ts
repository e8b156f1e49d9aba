/**
 * In-memory JobStore with real ETag semantics and Cosmos DB's conditional patch semantics (404 for a
 * missing document, 412 when the filter does not match, else every `set` applied at once with a new
 * ETag and the patched document returned), for unit tests of the use cases.
 */
import { randomUUID } from 'node:crypto';
import { isStoredRequest, type JobDocument, type StoredJob } from '../../shared/jobs/job.js';
import type { JobRequest } from '../../shared/jobs/job-request.js';
import { invalidContinuationToken } from '../../shared/jobs/continuation-token.js';
import type {
  CreateResult,
  JobPage,
  JobStore,
  ListJobsQuery,
  TerminalFields,
} from '../../shared/jobs/job-store.js';

export class MemoryJobStore implements JobStore {
  private readonly items = new Map<string, StoredJob>();
  readonly operations = { creates: 0, reads: 0, replaces: 0, patches: 0, queries: 0 };

  create(job: JobDocument): Promise<CreateResult> {
    this.operations.creates += 1;
    const existing = this.items.get(this.key(job.tenantId, job.id));
    if (existing) return Promise.resolve({ created: false, stored: clone(existing) });
    const stored = { job: clone(job), etag: randomUUID() };
    this.items.set(this.key(job.tenantId, job.id), stored);
    return Promise.resolve({ created: true, stored: clone(stored) });
  }

  listStalled(
    beforeMs: number,
    limit: number,
    fromMs = -Infinity,
  ): Promise<Array<{ tenantId: string; id: string }>> {
    this.operations.queries += 1;
    const stalled = [...this.items.values()]
      .map((stored) => stored.job)
      .filter(
        (job) =>
          job.status === 'queued' &&
          job.deadlineAt !== undefined &&
          job.deadlineAt < beforeMs &&
          job.deadlineAt >= fromMs,
      )
      .sort((a, b) => a.deadlineAt! - b.deadlineAt!)
      .slice(0, limit);
    return Promise.resolve(stalled.map((job) => ({ tenantId: job.tenantId, id: job.id })));
  }

  get(tenantId: string, jobId: string): Promise<StoredJob | undefined> {
    this.operations.reads += 1;
    const stored = this.items.get(this.key(tenantId, jobId));
    return Promise.resolve(stored ? clone(stored) : undefined);
  }

  /** Holds every request in its documents: one kept by reference was never written here. */
  requestOf(job: JobDocument): Promise<JobRequest> {
    if (isStoredRequest(job.request)) {
      return Promise.reject(new Error(`job ${job.id}: a memory store keeps no request bodies`));
    }
    return Promise.resolve(job.request);
  }

  replace(job: JobDocument, etag: string): Promise<StoredJob | 'stale'> {
    this.operations.replaces += 1;
    const current = this.items.get(this.key(job.tenantId, job.id));
    if (!current || current.etag !== etag) return Promise.resolve('stale');
    const stored = { job: clone(job), etag: randomUUID() };
    this.items.set(this.key(job.tenantId, job.id), stored);
    return Promise.resolve(clone(stored));
  }

  completeIfOpen(
    tenantId: string,
    jobId: string,
    fields: TerminalFields,
  ): Promise<StoredJob | 'not-open' | undefined> {
    this.operations.patches += 1;
    const current = this.items.get(this.key(tenantId, jobId));
    if (!current) return Promise.resolve(undefined);
    // The same filter the Cosmos adapter sends: FROM c WHERE c.status = 'queued'.
    if (current.job.status !== 'queued') return Promise.resolve('not-open');
    const sets = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    const job: JobDocument = { ...current.job, ...sets };
    const stored = { job: clone(job), etag: randomUUID() };
    this.items.set(this.key(tenantId, jobId), stored);
    return Promise.resolve(clone(stored));
  }

  list(tenantId: string, query: ListJobsQuery): Promise<JobPage> {
    this.operations.queries += 1;
    const all = [...this.items.values()]
      .map((stored) => stored.job)
      .filter((job) => job.tenantId === tenantId && (!query.status || job.status === query.status))
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    // As Cosmos DB does, a token this store did not make is refused (the port's contract).
    if (query.continuationToken !== undefined && !/^\d{1,9}$/.test(query.continuationToken)) {
      return Promise.reject(invalidContinuationToken());
    }
    const start = query.continuationToken ? Number(query.continuationToken) : 0;
    const jobs = all.slice(start, start + query.limit).map(clone);
    const next = start + query.limit;
    return Promise.resolve({ jobs, ...(next < all.length ? { continuationToken: String(next) } : {}) });
  }

  /** Test hook: overwrite a job as if another writer got there first. */
  forceWrite(job: JobDocument): void {
    this.items.set(this.key(job.tenantId, job.id), { job: clone(job), etag: randomUUID() });
  }

  private key(tenantId: string, jobId: string): string {
    return `${tenantId}\0${jobId}`;
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
