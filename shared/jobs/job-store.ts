/**
 * The port over job persistence. Every operation is scoped by tenant (the partition key), so a caller
 * can never reach another tenant's job by guessing its id.
 */
import type { JobDocument, JobStatus, StoredJob, TerminalStatus } from './job.js';
import type { JobRequest } from './job-request.js';

export type CreateResult =
  | { readonly created: true; readonly stored: StoredJob }
  | { readonly created: false; readonly stored: StoredJob };

export interface JobPage {
  readonly jobs: readonly JobDocument[];
  readonly continuationToken?: string;
}

export interface ListJobsQuery {
  readonly status?: JobStatus;
  readonly limit: number;
  readonly continuationToken?: string;
}

/**
 * The fields a terminal transition sets on a queued job. Each present field is one `set` operation of a
 * Cosmos DB patch (at most 10 per request; this is at most 9); an absent field is left as the queued job
 * had it (absent: a queued job has no result, usage or error).
 */
export type TerminalFields = Pick<JobDocument, 'updatedAt' | 'result' | 'usage' | 'error' | 'timings'> & {
  readonly status: TerminalStatus;
  readonly completedAt: string;
  readonly attempts: number;
  readonly ttl: number;
};

export interface JobStore {
  /** Creates the job, or returns the existing one with the same id (idempotent create). */
  create(job: JobDocument): Promise<CreateResult>;
  get(tenantId: string, jobId: string): Promise<StoredJob | undefined>;
  /**
   * The job's request: the document's own, or the body of one the store kept by reference
   * (StoredRequestSchema in job.ts) read back. Only what re-sends a job's invoke message needs it.
   */
  requestOf(job: JobDocument): Promise<JobRequest>;
  /** Replaces only if the stored ETag still equals `etag`; `stale` means someone else wrote first. */
  replace(job: JobDocument, etag: string): Promise<StoredJob | 'stale'>;
  /**
   * Writes the terminal state in one request, only while the job is still `queued` (the one state that
   * may move to a terminal one: canTransition in shared/jobs/job.ts), checked atomically by the store.
   * Returns the job as written; `not-open` when it was already terminal; undefined when it does not exist.
   */
  completeIfOpen(
    tenantId: string,
    jobId: string,
    fields: TerminalFields,
  ): Promise<StoredJob | 'not-open' | undefined>;
  /**
   * A page, newest first. Continuation tokens here are the store's own; callers only ever see them sealed
   * (shared/pipeline/reads.ts). A token the store refuses is a ValidationError naming `continuationToken`.
   */
  list(tenantId: string, query: ListJobsQuery): Promise<JobPage>;
  /**
   * Up to `limit` jobs of any tenant still `queued` with a `deadlineAt` before `beforeMs` (and not before
   * `fromMs`, when given), oldest deadline first: the one cross-partition query, for reconciliation,
   * bounded by `limit`.
   */
  listStalled(
    beforeMs: number,
    limit: number,
    fromMs?: number,
  ): Promise<Array<{ readonly tenantId: string; readonly id: string }>>;
}
