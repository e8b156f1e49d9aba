/**
 * A repeated invoke delivery must not pay for the attempt twice. An invoke message comes back when its
 * lock expired while the call was still running, when the instance died before settling it, or when a
 * cut connection failed the settlement or the postprocess send after the model answered; reconcile may
 * also redrive it from the dead letters. An earlier delivery may then have called the model, and may
 * still be calling it. So a repeated delivery:
 * - passes on the attempt's kept completion when there is one (the postprocess message has the same id
 *   as the first send, so duplicate detection drops it when that send happened);
 * - otherwise does not call yet: it schedules a completion check for when any earlier call has ended
 *   (modelCallBoundMs), which passes on the completion kept by then, or calls the model when none is.
 *   The earlier delivery's call may then have been answered (and charged) with nobody left to keep the
 *   answer: an instance that stopped mid-call. Its tokens cannot be known, so the job counts it as an
 *   attempt and its usage flags it (`unseenCalls`) rather than report a total that looks complete. The
 *   new call keeps its answer under the same attempt, so an earlier call that answers after all is
 *   still found to be extra, and charged to the job (shared/pipeline/extra-charge.ts).
 * The happy path pays one write for this (the completion, kept before it goes on) and no read.
 */
import { responseFormatOf } from '../jobs/job-request.js';
import type { StoredJob } from '../jobs/job.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { CompletionRecord } from './completion-records.js';
import type { InvokeDeps } from './deps.js';
import { extraChargeOf, type ExtraCharge } from './extra-charge.js';
import { flagUnseenCalls } from './ended-job-usage.js';
import { flaggedCalls } from './job-usage.js';
import { invokeMessage, jobRefOf, postprocessMessage } from './outbound.js';

/** Application property of a scheduled completion check. */
export const COMPLETION_CHECK_PROPERTY = 'completionCheck';
/** The most deployments one model call tries (shared/model/client.ts, maxDeploymentsPerCall). */
const DEPLOYMENTS_PER_CALL = 3;
/** Past the model timeouts: routing, prompt token counting, a canary, and clocks that disagree. */
const CALL_BOUND_MARGIN_MS = 2_000;

export interface InvokeDelivery {
  /**
   * Delivered before (lock lost, instance gone, abandoned) or redriven from the dead letters: an earlier
   * delivery may have called the model for this attempt, and may still be calling it.
   */
  readonly redelivered: boolean;
  /** A check scheduled by a repeated delivery, once any earlier call of the attempt has ended. */
  readonly completionCheck: boolean;
  /** Tokens to add to the job's usage once it is finished (shared/pipeline/extra-charge.ts). */
  readonly extraCharge?: ExtraCharge;
}

export const FIRST_DELIVERY: InvokeDelivery = { redelivered: false, completionCheck: false };

export interface DeliveredMessage {
  readonly deliveryCount: number;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
}

export function invokeDeliveryOf(message: DeliveredMessage): InvokeDelivery {
  const properties = message.applicationProperties;
  const extraCharge = extraChargeOf(properties);
  return {
    redelivered: message.deliveryCount > 0 || Number(properties.redriveCount ?? 0) > 0,
    completionCheck: properties[COMPLETION_CHECK_PROPERTY] === true,
    ...(extraCharge ? { extraCharge } : {}),
  };
}

/** How long a model call can run: the timeout of each deployment it may try, plus a margin. */
export function modelCallBoundMs(
  timeoutMs: number,
  pools: Readonly<Record<string, readonly unknown[]>>,
): number {
  const deployments = Math.max(1, ...Object.values(pools).map((pool) => pool.length));
  return timeoutMs * Math.min(DEPLOYMENTS_PER_CALL, deployments) + CALL_BOUND_MARGIN_MS;
}

/**
 * For a repeated delivery or a completion check: undefined when this delivery is done without a call
 * (the job is no longer queued, the kept completion was passed on, or a check was scheduled), else the
 * message to call the model with. A repeated delivery past the job's deadline schedules its check too:
 * the earlier call may still answer, and the check passes that answer on before it ends the job.
 */
export async function repeatedDelivery(
  deps: InvokeDeps,
  message: InvokeMessage,
  delivery: InvokeDelivery,
  nowMs: number,
  trace: TraceContext,
  log: InvokeDeps['logger'],
): Promise<InvokeMessage | undefined> {
  const stored = await deps.jobs.get(message.tenantId, message.jobId);
  if (stored?.job.status !== 'queued') {
    log.info('job.not_invoked', { reason: 'no longer queued' });
    if (stored) await accountForEndedJob(deps, message, stored, trace, log);
    return undefined;
  }
  const kept = await deps.completions.find(message.jobId, message.attempt);
  if (kept) {
    log.info('model.completion_passed_on', {
      reason: 'kept by an earlier delivery',
      deployment: kept.completion.deployment,
    });
    await passOn(deps, message, kept, trace);
    return undefined;
  }
  if (!delivery.redelivered) {
    // A completion check, and any earlier call has ended without a kept answer.
    log.warn('model.earlier_call_unseen', {
      reason: 'no answer was kept for the attempt; it may have been charged',
    });
    return { ...message, unseenCalls: (message.unseenCalls ?? 0) + 1 };
  }
  const at = nowMs + deps.modelCallBoundMs;
  log.info('model.completion_check_scheduled', { reason: 'an earlier delivery may still be calling', at });
  const check = invokeMessage({ ...message, hop: message.hop + 1 }, trace);
  await deps.publisher.schedule(
    {
      ...check,
      applicationProperties: { ...check.applicationProperties, [COMPLETION_CHECK_PROPERTY]: true },
    },
    new Date(at),
  );
  return undefined;
}

/**
 * The job ended (a cancel, an expiry) while an earlier delivery of this attempt may have called the
 * model. An answer that was kept goes on, so persist adds its tokens to the ended job; with none kept,
 * the call may have been charged with nobody left to see it, and the job says so (usage.unseenCalls).
 * Calls the message already flags (timeouts, earlier unseen calls) are flagged with it. Only for a job
 * that records no usage yet: a read, and one ETag-guarded write when nothing was kept.
 */
async function accountForEndedJob(
  deps: InvokeDeps,
  message: InvokeMessage,
  stored: StoredJob,
  trace: TraceContext,
  log: InvokeDeps['logger'],
): Promise<void> {
  // Usage recorded: the job's answer, or this flag, is already there (a succeeded job always has it).
  if (stored.job.usage) return;
  const kept = await deps.completions.find(message.jobId, message.attempt);
  if (kept) {
    await passOn(deps, message, kept, trace);
    return;
  }
  await flagUnseenCalls(
    deps,
    stored,
    1 + flaggedCalls(message),
    log,
    "an earlier delivery's call may have been charged",
  );
}

/** Hands the attempt's completion to postprocess: the same body and message id whoever sends it. */
export function passOn(
  deps: InvokeDeps,
  message: InvokeMessage,
  record: CompletionRecord,
  trace: TraceContext,
): Promise<void> {
  return deps.publisher.send(
    postprocessMessage(
      {
        kind: 'postprocess',
        ...jobRefOf(message),
        timings: {
          ...message.timings,
          invokeStartedAt: record.invokeStartedAt,
          modelCompletedAt: record.modelCompletedAt,
        },
        // Calls made: this one, those before it, and any whose answer nobody saw.
        attempts: message.attempt + 1 + (message.unseenCalls ?? 0),
        ...(flaggedCalls(message) ? { unseenCalls: flaggedCalls(message) } : {}),
        responseFormat: responseFormatOf(message.request),
        completion: record.completion,
      },
      trace,
    ),
  );
}
