/**
 * Dead-letter tooling for operators (platform admin role): list a sub-queue (peek only), send dead
 * letters back to their queue, or purge them with an explicit confirmation. Each action is logged with
 * the operator's identity. A redriven message gets a new id and `redriveCount` + 1; the stage it returns
 * to still applies the job's attempt budget and deadline. Dead letters of jobs that are no longer
 * `queued` are skipped by a redrive (running them again could only spend model tokens for nothing) and
 * stay listed for a purge.
 */
import { z } from 'zod';
import { requireRole, type Principal } from '../auth/principal.js';
import { ValidationError } from '../errors/index.js';
import type { JobStore } from '../jobs/job-store.js';
import type { DeadLetter, DeadLetterPage, DeadLetterQueues } from '../messaging/dead-letters.js';
import type { QueueName } from '../messaging/publisher.js';
import type { Logger } from '../telemetry/logger.js';

export const DEAD_LETTER_QUEUES = [
  'intake',
  'invoke',
  'postprocess',
  'persist',
  'deliver',
] as const satisfies readonly QueueName[];
export const DeadLetterQueueSchema = z.enum(DEAD_LETTER_QUEUES);

/** Most dead letters one call settles; the answer says when more are left. */
export const MAX_PER_CALL = 500;

const SequenceNumberSchema = z.string().regex(/^\d{1,20}$/, 'a sequence number (decimal digits)');

/** Which dead letters an action takes: named ones, or those matching a reason and/or tenant, or all. */
export const DeadLetterSelectorSchema = z
  .strictObject({
    sequenceNumbers: z.array(SequenceNumberSchema).min(1).max(MAX_PER_CALL).optional(),
    reason: z.string().min(1).max(256).optional(),
    tenantId: z.string().min(1).max(63).optional(),
    all: z.literal(true).optional(),
  })
  .refine((s) => s.sequenceNumbers ?? s.reason ?? s.tenantId ?? s.all, {
    message: 'name sequenceNumbers, a reason, a tenantId, or all: true',
  });
export type DeadLetterSelector = z.infer<typeof DeadLetterSelectorSchema>;

export const PurgeRequestSchema = z.strictObject({
  /** The queue's name again: a purge cannot happen by a slip of the path. */
  confirm: z.string(),
  selector: DeadLetterSelectorSchema,
});

export interface OperatorDeps {
  readonly deadLetters: DeadLetterQueues;
  readonly jobs: JobStore;
  readonly logger: Logger;
}

export interface ActionResult {
  readonly redriven: number;
  readonly purged: number;
  readonly skipped: number;
  /** True when MAX_PER_CALL was reached: call again for the rest. */
  readonly more: boolean;
}

export async function listDeadLetters(
  principal: Principal,
  queue: QueueName,
  page: { fromSequenceNumber?: string; limit: number },
  deps: OperatorDeps,
): Promise<DeadLetterPage> {
  requireRole(principal, 'admin');
  return deps.deadLetters.list(queue, page);
}

export async function redriveDeadLetters(
  principal: Principal,
  queue: QueueName,
  selector: DeadLetterSelector,
  deps: OperatorDeps,
): Promise<ActionResult> {
  requireRole(principal, 'admin');
  const counts = await deps.deadLetters.settle(
    queue,
    { limit: MAX_PER_CALL, includeDeferred: true, select: matcher(selector) },
    async (deadLetter) => ((await jobStillQueued(deps.jobs, deadLetter)) ? 'redrive' : 'keep'),
  );
  const result = resultOf(counts);
  deps.logger.warn('dead_letters.redriven', {
    ...operatorOf(principal),
    queue,
    ...selectorFields(selector),
    ...result,
  });
  return result;
}

export async function purgeDeadLetters(
  principal: Principal,
  queue: QueueName,
  request: z.infer<typeof PurgeRequestSchema>,
  deps: OperatorDeps,
): Promise<ActionResult> {
  requireRole(principal, 'admin');
  if (request.confirm !== queue) {
    throw new ValidationError(`A purge needs "confirm": "${queue}", the queue's name.`, [
      { field: 'confirm', message: `must be "${queue}"` },
    ]);
  }
  const counts = await deps.deadLetters.settle(
    queue,
    { limit: MAX_PER_CALL, includeDeferred: true, select: matcher(request.selector) },
    () => Promise.resolve('remove'),
  );
  const result = resultOf(counts);
  deps.logger.warn('dead_letters.purged', {
    ...operatorOf(principal),
    queue,
    ...selectorFields(request.selector),
    ...result,
  });
  return result;
}

function matcher(selector: DeadLetterSelector): (deadLetter: DeadLetter) => boolean {
  const sequences = selector.sequenceNumbers ? new Set(selector.sequenceNumbers) : undefined;
  return (d) =>
    (!sequences || sequences.has(d.sequenceNumber)) &&
    (selector.reason === undefined || d.reason === selector.reason) &&
    (selector.tenantId === undefined || d.tenantId === selector.tenantId);
}

/** A dead letter that names no job (an intake message without a tenant, say) may always go back. */
async function jobStillQueued(jobs: JobStore, deadLetter: DeadLetter): Promise<boolean> {
  if (!deadLetter.jobId || !deadLetter.tenantId) return true;
  return (await jobs.get(deadLetter.tenantId, deadLetter.jobId))?.job.status === 'queued';
}

function resultOf(counts: Record<'redrive' | 'remove' | 'keep', number>): ActionResult {
  return {
    redriven: counts.redrive,
    purged: counts.remove,
    skipped: counts.keep,
    more: counts.redrive + counts.remove + counts.keep >= MAX_PER_CALL,
  };
}

function operatorOf(principal: Principal): Record<string, string> {
  return {
    operatorTenant: principal.tenantId,
    operatorKind: principal.kind,
    ...(principal.subject ? { operator: principal.subject } : {}),
    ...(principal.keyId ? { operatorKeyId: principal.keyId } : {}),
  };
}

function selectorFields(selector: DeadLetterSelector): Record<string, string | number | boolean> {
  return {
    ...(selector.sequenceNumbers ? { sequenceNumbers: selector.sequenceNumbers.length } : {}),
    ...(selector.reason ? { reason: selector.reason } : {}),
    ...(selector.tenantId ? { selectedTenant: selector.tenantId } : {}),
    ...(selector.all ? { all: true } : {}),
  };
}
