/**
 * Ending a job as failed from any stage: the terminal state is written by `persist`, like success, so
 * there is one writer of terminal states and one place that emits events.
 */
import type { JobError } from '../jobs/job.js';
import type { InvokeMessage, PostprocessMessage } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { jobRefOf, persistMessage } from './outbound.js';

export async function failJob(
  deps: StageDeps,
  message: InvokeMessage | PostprocessMessage,
  trace: TraceContext,
  error: JobError,
  attempts: number,
  usage?: {
    promptTokens: number;
    completionTokens: number;
    cachedTokens: number;
    totalTokens: number;
    costUsd: number;
  },
): Promise<void> {
  deps.logger.warn('job.failing', {
    jobId: message.jobId,
    tenantId: message.tenantId,
    traceId: message.traceId,
    reason: error.code,
  });
  await deps.publisher.send(
    persistMessage(
      {
        kind: 'persist',
        ...jobRefOf(message),
        timings: message.timings,
        attempts,
        outcome: { status: 'failed', error, ...(usage ? { usage } : {}) },
      },
      trace,
    ),
  );
}

/** A job whose `expires_after` has passed before its model call: it ends `expired`, spending nothing. */
export async function expireJob(deps: StageDeps, message: InvokeMessage, trace: TraceContext): Promise<void> {
  deps.logger.info('job.expiring', {
    jobId: message.jobId,
    tenantId: message.tenantId,
    traceId: message.traceId,
  });
  await deps.publisher.send(
    persistMessage(
      {
        kind: 'persist',
        ...jobRefOf(message),
        timings: message.timings,
        attempts: message.attempt,
        outcome: {
          status: 'expired',
          error: { code: 'expired', message: 'The job expired (expires_after) before its model was called.' },
        },
      },
      trace,
    ),
  );
}
