/**
 * Dead letters tied back to their jobs, so a dead letter never leaves a job `queued`. Every stage message
 * names its job in its application properties. For each dead letter of the job stages' queues:
 * - its job is gone or already finished: nothing is waiting on it, it is removed;
 * - the reason is transient (lock lost too often, expiry) and it was not redriven yet: it is sent back
 *   once (a new message id; the stage's own attempt budget and deadline still apply);
 * - a `persist` message carries the job's outcome: it is written here, in process (a result is kept);
 * - otherwise the job ends `failed` with code `dead_lettered`, the reason and the description;
 * - a message that names no job is kept (deferred) for an operator (docs/operations.md).
 */
import type { JobError } from '../jobs/job.js';
import type { DeadLetter, DeadLetterQueues } from '../messaging/dead-letters.js';
import type { QueueName } from '../messaging/publisher.js';
import { PersistMessageSchema } from '../messaging/stage-messages.js';
import type { StageDeps } from '../pipeline/deps.js';
import { persistOutcome } from '../pipeline/persist.js';
import { recordJobFinished } from '../telemetry/metrics.js';
import { endQueuedJob } from './end-job.js';

/** The queues whose messages belong to a job that is still `queued`. */
export const JOB_STAGE_QUEUES = ['invoke', 'postprocess', 'persist'] as const satisfies readonly QueueName[];

/** Reasons a second try can cure: the broker's, not a stage's verdict on the message. */
const TRANSIENT_REASONS = new Set(['MaxDeliveryCountExceeded', 'TTLExpiredException']);

export interface DeadLetterRecoverySettings {
  /** Redrives per message for a transient reason (0 turns automatic redrive off). */
  readonly maxRedrives: number;
  /** Dead letters handled per queue per run. */
  readonly batch: number;
}

export interface DeadLetterRecoveryResult {
  readonly redriven: number;
  readonly ended: number;
  readonly removed: number;
  readonly kept: number;
}

export async function recoverDeadLetters(
  deps: StageDeps & { readonly deadLetters: DeadLetterQueues },
  settings: DeadLetterRecoverySettings,
): Promise<DeadLetterRecoveryResult> {
  let ended = 0;
  const totals = { redrive: 0, remove: 0, keep: 0 };
  for (const queue of JOB_STAGE_QUEUES) {
    const counts = await deps.deadLetters.settle(
      queue,
      { limit: settings.batch },
      async (deadLetter, body) => {
        if (!deadLetter.jobId || !deadLetter.tenantId) {
          deps.logger.warn('dead_letter.kept', {
            queue,
            messageId: deadLetter.messageId,
            reason: deadLetter.reason,
          });
          return 'keep';
        }
        const stored = await deps.jobs.get(deadLetter.tenantId, deadLetter.jobId);
        if (!stored || stored.job.status !== 'queued') return 'remove';
        const log = deps.logger.child({ queue, jobId: deadLetter.jobId, tenantId: deadLetter.tenantId });
        if (isTransient(deadLetter) && deadLetter.redriveCount < settings.maxRedrives) {
          log.warn('dead_letter.redriven', {
            reason: deadLetter.reason,
            redriveCount: deadLetter.redriveCount + 1,
          });
          return 'redrive';
        }
        // A persist message carries the job's outcome: write it here rather than lose a finished result.
        const persist = queue === 'persist' ? PersistMessageSchema.safeParse(body) : undefined;
        if (persist?.success && persist.data.jobId === deadLetter.jobId) {
          if ((await persistOutcome(deps, persist.data)) === 'written') {
            recordJobFinished(persist.data.tenantId, persist.data.outcome.status);
          }
          log.warn('dead_letter.outcome_persisted', {
            reason: deadLetter.reason,
            status: persist.data.outcome.status,
          });
          return 'remove';
        }
        if ((await endQueuedJob(deps, stored, errorOf(deadLetter))) === 'ended') {
          ended += 1;
          log.error('dead_letter.job_failed', { reason: deadLetter.reason });
        }
        return 'remove';
      },
    );
    totals.redrive += counts.redrive;
    totals.remove += counts.remove;
    totals.keep += counts.keep;
  }
  return { redriven: totals.redrive, ended, removed: totals.remove - ended, kept: totals.keep };
}

function isTransient(deadLetter: DeadLetter): boolean {
  return deadLetter.reason !== undefined && TRANSIENT_REASONS.has(deadLetter.reason);
}

function errorOf(deadLetter: DeadLetter): JobError {
  const reason = deadLetter.reason ?? 'unknown reason';
  const description = deadLetter.description ? `: ${deadLetter.description}` : '';
  return {
    code: 'dead_lettered',
    message: `The job's ${deadLetter.queue} message was dead-lettered (${reason}${description}).`.slice(
      0,
      1024,
    ),
  };
}
