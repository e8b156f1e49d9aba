/**
 * Cancel: a queued job becomes `cancelled` (ETag-guarded) and its `job.cancelled` event is sent (when
 * anyone is subscribed to it: shared/pipeline/emit-event.ts). Work already in flight may finish, but
 * `persist` will not overwrite the cancelled state, so no success is ever delivered for it.
 */
import { ConflictError, NotFoundError } from '../errors/index.js';
import { eventOf } from '../jobs/events.js';
import { retentionOf, type JobDocument } from '../jobs/job.js';
import { errorFields } from '../telemetry/logger.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { emitJobEvent } from './emit-event.js';

const MAX_WRITE_ATTEMPTS = 3;

/** The job is cancelled whatever this does: a failure only means a parked line may still be paid for. */
async function tellCancelled(deps: StageDeps, job: JobDocument): Promise<void> {
  try {
    await deps.onCancelled?.(job);
  } catch (error) {
    deps.logger.warn('job.cancel_hook_failed', {
      jobId: job.id,
      tenantId: job.tenantId,
      ...errorFields(error),
    });
  }
}

export async function cancelJob(
  deps: StageDeps,
  tenantId: string,
  jobId: string,
  trace: TraceContext,
): Promise<JobDocument> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    const stored = await deps.jobs.get(tenantId, jobId);
    if (!stored) throw new NotFoundError(`No job ${jobId}.`);
    if (stored.job.status !== 'queued') {
      throw new ConflictError(`Job ${jobId} is already ${stored.job.status} and cannot be cancelled.`);
    }
    const at = new Date(deps.clock()).toISOString();
    const cancelled: JobDocument = {
      ...stored.job,
      status: 'cancelled',
      updatedAt: at,
      completedAt: at,
      error: { code: 'cancelled', message: 'The job was cancelled by its submitter.' },
      ttl: retentionOf(stored.job, deps.settings.retentionSeconds),
    };
    const written = await deps.jobs.replace(cancelled, stored.etag);
    if (written === 'stale') continue;
    await emitJobEvent(deps, eventOf(cancelled), trace);
    await tellCancelled(deps, written.job);
    deps.logger.info('job.cancelled', { stage: 'cancel', jobId, tenantId, traceId: cancelled.traceId });
    return written.job;
  }
  throw new ConflictError(`Job ${jobId} changed while it was being cancelled; try again.`);
}
