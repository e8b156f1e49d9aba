/**
 * Invoke: one model call per message. Success goes on to `postprocess`; a permanent error ends the job;
 * a transient one becomes a scheduled message (attempt + 1) and this message completes. Nothing sleeps
 * while holding the lock.
 */
import { ConfigurationError, isPlatformError } from '../errors/index.js';
import { consumesAttempt, decideModelRetry } from '../model/attempt-policy.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import { errorFields } from '../telemetry/logger.js';
import { parseTraceparent, newTrace, type TraceContext } from '../telemetry/trace-context.js';
import type { InvokeDeps } from './deps.js';
import { stillWanted, watchForCancel } from './cancel-watch.js';
import { expireJob, failJob } from './fail.js';
import { jobRefOf, invokeMessage, postprocessMessage } from './outbound.js';

export async function invokeModel(
  deps: InvokeDeps,
  message: InvokeMessage,
  traceparent?: string,
  /** The message was delivered before (or redriven): its first delivery may have run the call. */
  redelivered = false,
): Promise<void> {
  const trace = parseTraceparent(traceparent) ?? { ...newTrace(), traceId: message.traceId };
  const log = deps.logger.child({
    stage: 'invoke',
    jobId: message.jobId,
    tenantId: message.tenantId,
    traceId: message.traceId,
    attempt: message.attempt,
  });
  const startedAt = deps.clock();
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
  if (!(await stillWanted(deps, message, startedAt, redelivered))) {
    log.info('job.not_invoked', { reason: 'no longer queued' });
    return;
  }
  const watch = watchForCancel(deps, message);
  try {
    const completion = await deps.model.complete(message.request, {
      jobId: message.jobId,
      tenantId: message.tenantId,
      attempt: message.attempt,
      signal: watch.signal,
      ...(traceparent ? { traceparent } : {}),
    });
    watch.stop();
    const completedAt = deps.clock();
    log.info('model.completed', {
      durationMs: completedAt - startedAt,
      deployment: completion.deployment,
      promptTokens: completion.usage.promptTokens,
      completionTokens: completion.usage.completionTokens,
    });
    await deps.publisher.send(
      postprocessMessage(
        {
          kind: 'postprocess',
          ...jobRefOf(message),
          timings: { ...message.timings, invokeStartedAt: startedAt, modelCompletedAt: completedAt },
          attempts: message.attempt + 1,
          responseFormat: message.request.response_format,
          completion,
        },
        trace,
      ),
    );
  } catch (error) {
    watch.stop();
    if (watch.cancelled()) {
      log.info('model.call_aborted', { reason: 'job no longer queued' });
      return;
    }
    await handleModelError(deps, message, trace, error, log);
  }
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
