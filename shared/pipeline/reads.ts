/**
 * Reads for producers: one job, or a page of the tenant's jobs. Always scoped to the caller's tenant;
 * another tenant's job is "not found", never "forbidden", so its existence is not revealed.
 */
import { NotFoundError } from '../errors/index.js';
import type { JobDocument, JobStatus } from '../jobs/job.js';
import {
  openContinuationToken,
  sealContinuationToken,
  type ContinuationScope,
} from '../jobs/continuation-token.js';
import type { JobPage, JobStore } from '../jobs/job-store.js';

export async function getJob(jobs: JobStore, tenantId: string, jobId: string): Promise<JobDocument> {
  const stored = await jobs.get(tenantId, jobId);
  if (!stored) throw new NotFoundError(`No job ${jobId}.`);
  return stored.job;
}

/**
 * A page of the tenant's jobs. The continuation token is opaque to the caller and bound to this tenant and
 * filter (../jobs/continuation-token.ts): a token from elsewhere is a 400 before the store is asked.
 */
export async function listJobs(
  jobs: JobStore,
  tenantId: string,
  query: { status?: JobStatus; limit: number; continuationToken?: string },
): Promise<JobPage> {
  const scope: ContinuationScope = { tenantId, filter: query.status ? `status=${query.status}` : '' };
  const page = await jobs.list(tenantId, {
    limit: query.limit,
    ...(query.status ? { status: query.status } : {}),
    ...(query.continuationToken !== undefined
      ? { continuationToken: openContinuationToken(query.continuationToken, scope) }
      : {}),
  });
  return {
    jobs: page.jobs,
    ...(page.continuationToken
      ? { continuationToken: sealContinuationToken(page.continuationToken, scope) }
      : {}),
  };
}
