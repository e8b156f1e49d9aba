/**
 * Invoke: one model call per attempt. Success is kept (shared/pipeline/completion-records.ts), then goes
 * on to `postprocess`; a permanent error ends the job; a transient one becomes a scheduled message
 * (attempt + 1) and this message completes. Nothing sleeps while holding the lock. A repeated delivery
 * passes on the attempt's kept completion instead of calling again (shared/pipeline/invoke-repeat.ts).
 */
import { ConfigurationError, isPlatformError } from '../errors/index.js';
import { consumesAttempt, decideModelRetry } from '../model/attempt-policy.js';
import type { ModelCompletion } from '../model/port.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import { errorFields } from '../telemetry/logger.js';
import { parseTraceparent, newTrace, type TraceContext } from '../telemetry/trace-context.js';
import { recordTtlSeconds, type CompletionRecord } from './completion-records.js';
import type { InvokeDeps } from './deps.js';
import { stillWanted, watchForCancel } from './cancel-watch.js';
import { recordExtraCharge } from './extra-charge.js';
import { expireJob, failJob } from './fail.js';
import { FIRST_DELIVERY, passOn, repeatedDelivery, type InvokeDelivery } from './invoke-repeat.js';
import { flagUnseenCalls } from './ended-job-usage.js';
import { flaggedCalls, jobUsageOf } from './job-usage.js';
import { invokeMessage } from './outbound.js';

export async function invokeModel(
  deps: InvokeDeps,
  delivered: InvokeMessage,
  traceparent?: string,
  delivery: InvokeDelivery = FIRST_DELIVERY,
): Promise<void> {
  let message = delivered;
  const trace = parseTraceparent(traceparent) ?? { ...newTrace(), traceId: message.traceId };
  const log = deps.logger.child({
    stage: 'invoke',
    jobId: message.jobId,
    tenantId: message.tenantId,
    traceId: message.traceId,
    attempt: message.attempt,
  });
  if (delivery.extraCharge) {
    await recordExtraCharge(deps, message, delivery.extraCharge, trace, log);
    return;
  }
  const startedAt = deps.clock();
  const repeated = delivery.redelivered || delivery.completionCheck;
  // Before the deadline and expiry: a completion kept by an earlier delivery was paid for in time.
  if (repeated) {
    const next = await repeatedDelivery(deps, message, delivery, startedAt, trace, log);
    if (!next) return;
    message = next;
  }
  if (message.expiresAt !== undefined && startedAt >= message.expiresAt) {
    await expireJob(deps, message, trace);
    return;
  }
  if (startedAt >= message.deadlineAt) {
    await failJob(
      deps,
      message,
      trace,
      { code: 'deadline_exceeded', message: 'The job did not finish before its deadline.' },
      message.attempt,
    );
    return;
  }
  if (!repeated) {
    const check = await stillWanted(deps, message, startedAt);
    if (!check.wanted) {
      log.info('job.not_invoked', { reason: 'no longer queued' });
      // Timed-out or unseen calls this message carries may have been charged: the ended job says so.
      if (check.stored) await flagUnseenCalls(deps, check.stored, flaggedCalls(message), log, ENDED);
      return;
    }
  }
  if (deps.routeCapacity && (await deps.routeCapacity(message, trace, startedAt))) return;
  const watch = watchForCancel(deps, message);
  let timedOut = 0;
  let completion: ModelCompletion;
  try {
    completion = await deps.model.complete(message.request, {
      jobId: message.jobId,
      tenantId: message.tenantId,
      attempt: message.attempt,
      scheduling: {
        ...(message.scheduling ?? { priority: 'standard', weight: 1 }),
        deadlineAt: Math.min(message.deadlineAt, message.expiresAt ?? Number.POSITIVE_INFINITY),
      },
      signal: watch.signal,
      onUnanswered: () => (timedOut += 1),
      ...(traceparent ? { traceparent } : {}),
    });
  } catch (error) {
    watch.stop();
    if (watch.cancelled()) {
      log.info('model.call_aborted', { reason: 'job no longer queued' });
      // The aborted call too: the model may have billed what it generated before the abort.
      await flagAborted(deps, withTimedOut(message, timedOut), log);
      return;
    }
    await handleModelError(deps, withTimedOut(message, timedOut), trace, error, log);
    return;
  }
  watch.stop();
  message = withTimedOut(message, timedOut);
  const completedAt = deps.clock();
  log.info('model.completed', {
    durationMs: completedAt - startedAt,
    deployment: completion.deployment,
    promptTokens: completion.usage.promptTokens,
    completionTokens: completion.usage.completionTokens,
  });
  // Outside the model's error handling: a failed send after the answer is not a failed attempt (that
  // would call again as attempt + 1); it throws, the message comes back and passes the kept answer on.
  await keepAndPassOn(
    deps,
    message,
    {
      jobId: message.jobId,
      attempt: message.attempt,
      completion,
      invokeStartedAt: startedAt,
      modelCompletedAt: completedAt,
    },
    trace,
    log,
  );
}

/**
 * Keeps the completion before passing it on, so a delivery of this message after this one passes it on
 * too instead of calling again. When another delivery's completion was kept first, that one goes on
 * (sent again here, in case its delivery died before sending) and this one's tokens are extra.
 */
async function keepAndPassOn(
  deps: InvokeDeps,
  message: InvokeMessage,
  record: CompletionRecord,
  trace: TraceContext,
  log: InvokeDeps['logger'],
): Promise<void> {
  let kept: 'kept' | 'exists';
  try {
    kept = await deps.completions.keep(
      record,
      recordTtlSeconds(message.deadlineAt, message.expiresAt, record.modelCompletedAt),
    );
  } catch (error) {
    // Passing the answer on matters more: failing here would bring the message back to pay again.
    log.warn('model.completion_not_kept', errorFields(error));
    kept = 'kept';
  }
  const first = kept === 'exists' ? await deps.completions.find(message.jobId, message.attempt) : undefined;
  if (!first) {
    await passOn(deps, message, record, trace);
    return;
  }
  log.warn('model.extra_completion', {
    reason: 'another delivery of this attempt kept its completion first',
    responseId: record.completion.responseId,
  });
  // The charge first: should the send then fail, the message comes back and passes the kept one on,
  // but nothing would bring these tokens back.
  await recordExtraCharge(
    deps,
    message,
    {
      responseId: record.completion.responseId || `${message.attempt}@${record.modelCompletedAt}`,
      usage: priced(deps, record.completion),
      attemptUsage: priced(deps, first.completion),
      round: 0,
    },
    trace,
    log,
  );
  await passOn(deps, message, first, trace);
}

const ENDED = 'calls of the job may have been charged';

/** The job the cancel watch saw end, with the aborted call and the message's calls flagged on it. */
async function flagAborted(deps: InvokeDeps, message: InvokeMessage, log: InvokeDeps['logger']) {
  const stored = await deps.jobs.get(message.tenantId, message.jobId);
  if (stored) await flagUnseenCalls(deps, stored, 1 + flaggedCalls(message), log, ENDED);
}

/** The message with this delivery's timed-out calls added, so the job's usage flags them. */
function withTimedOut(message: InvokeMessage, calls: number): InvokeMessage {
  return calls === 0 ? message : { ...message, timedOutCalls: (message.timedOutCalls ?? 0) + calls };
}

function priced(deps: InvokeDeps, completion: ModelCompletion) {
  return jobUsageOf(completion.usage, deps.costOf(completion.usage, completion.model, completion.deployment));
}

async function handleModelError(
  deps: InvokeDeps,
  message: InvokeMessage,
  trace: TraceContext,
  error: unknown,
  log: InvokeDeps['logger'],
): Promise<void> {
  if (error instanceof ConfigurationError) {
    // Our credentials or role assignments are wrong: loud, and the job waits for the fix.
    log.error('model.configuration_error', errorFields(error));
  } else if (!isPlatformError(error)) {
    log.warn('model.unexpected_error', errorFields(error));
  }
  // One policy for attempts and deadlines (shared/model/attempt-policy.ts): waiting for quota or an open
  // circuit spends no attempt; failures do, with backoff no sooner than the service asked.
  const decision = decideModelRetry(error, {
    attempt: message.attempt,
    maxAttempts: deps.settings.maxAttempts,
    deadlineAt: message.deadlineAt,
    now: deps.clock(),
  });
  if (decision.kind === 'fail') {
    log.warn('model.failed', { reason: decision.reason });
    // Attempts = model calls made: a paced wait made none.
    const calls = consumesAttempt(error) ? message.attempt + 1 : message.attempt;
    await failJob(deps, message, trace, { code: decision.reason, message: decision.detail }, calls);
    return;
  }
  log.info('model.retry_scheduled', {
    reason: decision.reason,
    delayMs: decision.delayMs,
    nextAttempt: decision.nextAttempt,
  });
  await deps.publisher.schedule(
    invokeMessage({ ...message, attempt: decision.nextAttempt, hop: message.hop + 1 }, trace),
    new Date(deps.clock() + decision.delayMs),
  );
}
