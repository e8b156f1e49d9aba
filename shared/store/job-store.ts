/**
 * The port over job persistence. Every operation is scoped by tenant (the partition key), so a caller
 * can never reach another tenant's job by guessing its id.
 */
import type { JobDocument, JobStatus, StoredJob } from '../jobs/job.js';

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

export interface JobStore {
  /** Creates the job, or returns the existing one with the same id (idempotent create). */
  create(job: JobDocument): Promise<CreateResult>;
  get(tenantId: string, jobId: string): Promise<StoredJob | undefined>;
  /** Replaces only if the stored ETag still equals `etag`; `stale` means someone else wrote first. */
  replace(job: JobDocument, etag: string): Promise<StoredJob | 'stale'>;
  list(tenantId: string, query: ListJobsQuery): Promise<JobPage>;
}
