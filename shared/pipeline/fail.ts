/**
 * Ending a job as failed (or expired) from any stage: the terminal state is written by `persist`, like
 * success, so there is one writer of terminal states and one place that emits events.
 */
import type { JobError, JobUsage } from '../jobs/job.js';
import type { InvokeMessage, PersistMessage, PostprocessMessage } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { addJobUsage, flaggedCalls, unseenUsage } from './job-usage.js';
import { jobRefOf, persistMessage } from './outbound.js';

/**
 * `attempts`: the model calls this stage knows were made. An invoke message may also carry calls an
 * earlier delivery made whose answer nobody saw (`unseenCalls`, shared/pipeline/invoke-repeat.ts), which
 * count as attempts too, and timed-out calls (`timedOutCalls`, already in `attempt`). Either may have
 * been charged, so the job's usage flags them, however it ends. (A postprocess message's attempts and
 * usage already include them.)
 */
export async function failJob(
  deps: StageDeps,
  message: InvokeMessage | PostprocessMessage,
  trace: TraceContext,
  error: JobError,
  attempts: number,
  usage?: JobUsage,
): Promise<void> {
  deps.logger.warn('job.failing', { ...idsOf(message), reason: error.code });
  const unseen = message.kind === 'invoke' ? unseenOf(message, usage) : { attempts: 0, usage };
  await sendOutcome(deps, message, trace, attempts + unseen.attempts, {
    status: 'failed',
    error,
    ...(unseen.usage ? { usage: unseen.usage } : {}),
  });
}

/** A job whose `expires_after` has passed before its model call: it ends `expired`, calling nothing. */
export async function expireJob(deps: StageDeps, message: InvokeMessage, trace: TraceContext): Promise<void> {
  deps.logger.info('job.expiring', idsOf(message));
  const unseen = unseenOf(message, undefined);
  await sendOutcome(deps, message, trace, message.attempt + unseen.attempts, {
    status: 'expired',
    error: { code: 'expired', message: 'The job expired (expires_after) before its model was called.' },
    ...(unseen.usage ? { usage: unseen.usage } : {}),
  });
}

function unseenOf(message: InvokeMessage, usage: JobUsage | undefined) {
  const calls = flaggedCalls(message);
  if (calls === 0) return { attempts: 0, usage };
  const flagged = unseenUsage(calls);
  return { attempts: message.unseenCalls ?? 0, usage: usage ? addJobUsage(usage, flagged) : flagged };
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
