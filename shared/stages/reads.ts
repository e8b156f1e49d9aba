/**
 * Reads for producers: one job, or a page of the tenant's jobs. Always scoped to the caller's tenant;
 * another tenant's job is "not found", never "forbidden", so its existence is not revealed.
 */
import { NotFoundError } from '../errors/index.js';
import type { JobDocument, JobStatus } from '../jobs/job.js';
import type { JobPage, JobStore } from '../store/job-store.js';

export async function getJob(jobs: JobStore, tenantId: string, jobId: string): Promise<JobDocument> {
  const stored = await jobs.get(tenantId, jobId);
  if (!stored) throw new NotFoundError(`No job ${jobId}.`);
  return stored.job;
}

export function listJobs(
  jobs: JobStore,
  tenantId: string,
  query: { status?: JobStatus; limit: number; continuationToken?: string },
): Promise<JobPage> {
  return jobs.list(tenantId, query);
}
