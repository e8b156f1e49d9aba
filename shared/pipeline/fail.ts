/**
 * Ending a job as failed (or expired) from any stage: the terminal state is written by `persist`, like
 * success, so there is one writer of terminal states and one place that emits events.
 */
import type { JobError, JobUsage } from '../jobs/job.js';
import type { InvokeMessage, PersistMessage, PostprocessMessage } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { jobRefOf, persistMessage } from './outbound.js';

export async function failJob(
  deps: StageDeps,
  message: InvokeMessage | PostprocessMessage,
  trace: TraceContext,
  error: JobError,
  attempts: number,
  usage?: JobUsage,
): Promise<void> {
  deps.logger.warn('job.failing', { ...idsOf(message), reason: error.code });
  await sendOutcome(deps, message, trace, attempts, { status: 'failed', error, ...(usage ? { usage } : {}) });
}

/** A job whose `expires_after` has passed before its model call: it ends `expired`, spending nothing. */
export async function expireJob(deps: StageDeps, message: InvokeMessage, trace: TraceContext): Promise<void> {
  deps.logger.info('job.expiring', idsOf(message));
  await sendOutcome(deps, message, trace, message.attempt, {
    status: 'expired',
    error: { code: 'expired', message: 'The job expired (expires_after) before its model was called.' },
  });
}

function idsOf(message: InvokeMessage | PostprocessMessage) {
  return { jobId: message.jobId, tenantId: message.tenantId, traceId: message.traceId };
}

function sendOutcome(
  deps: StageDeps,
  message: InvokeMessage | PostprocessMessage,
  trace: TraceContext,
  attempts: number,
  outcome: PersistMessage['outcome'],
): Promise<void> {
  return deps.publisher.send(
    persistMessage(
      { kind: 'persist', ...jobRefOf(message), timings: message.timings, attempts, outcome },
      trace,
    ),
  );
}
