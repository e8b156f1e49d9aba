/**
 * Ends a job that is still `queued` from outside its stages (a dead letter, a stalled job), through the
 * persist use case itself: the same conditional terminal write and the same event as any failure, so
 * there is still one writer of terminal states. It runs in process, not through the `persist` queue:
 * the dead-lettered message may be a `persist` one. The event continues the job's own trace.
 */
import type { JobError, StoredJob } from '../jobs/job.js';
import type { StageDeps } from '../pipeline/deps.js';
import { persistOutcome } from '../pipeline/persist.js';
import { recordJobFinished } from '../telemetry/metrics.js';

export type EndResult = 'ended' | 'not-queued';

export async function endQueuedJob(deps: StageDeps, stored: StoredJob, error: JobError): Promise<EndResult> {
  const { job } = stored;
  if (job.status !== 'queued') return 'not-queued';
  const acceptedAt = job.timings?.acceptedAt ?? Date.parse(job.createdAt);
  const outcome = await persistOutcome(deps, {
    kind: 'persist',
    jobId: job.id,
    tenantId: job.tenantId,
    metadata: job.metadata,
    ...(job.webhookEndpointId ? { webhookEndpointId: job.webhookEndpointId } : {}),
    traceId: job.traceId,
    timings: { acceptedAt },
    deadlineAt: job.deadlineAt ?? acceptedAt + deps.settings.deadlineMs,
    ...(job.retentionSeconds !== undefined ? { retentionSeconds: job.retentionSeconds } : {}),
    attempts: job.attempts ?? 0,
    outcome: { status: 'failed', error },
  });
  if (outcome !== 'written') return 'not-queued';
  recordJobFinished(job.tenantId, 'failed');
  return 'ended';
}
