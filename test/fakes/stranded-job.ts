/**
 * A queued job written straight to a job store with no message anywhere, as a lost or dead-lettered
 * message leaves it: what reconciliation and the operators' dead-letter tools have to settle.
 */
import type { JobDocument } from '../../shared/jobs/job.js';
import type { JobStore } from '../../shared/jobs/job-store.js';

export async function strandedJob(
  jobs: Pick<JobStore, 'create'>,
  options: { id: string; tenantId: string; deadlineAt: number },
): Promise<JobDocument> {
  const now = new Date().toISOString();
  const job: JobDocument = {
    id: options.id,
    tenantId: options.tenantId,
    status: 'queued',
    idempotencyKey: options.id,
    requestHash: 'h',
    request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    metadata: {},
    source: 'http',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    createdAt: now,
    updatedAt: now,
    deadlineAt: options.deadlineAt,
  };
  await jobs.create(job);
  return job;
}
