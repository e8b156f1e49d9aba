/**
 * Invoke: one model call per message. Success goes on to `postprocess`; a permanent error ends the job;
 * a transient one becomes a scheduled message (attempt + 1) and this message completes. Nothing sleeps
 * while holding the lock.
 */
import { ConfigurationError, PermanentError, RetryAfterError, isPlatformError } from '../errors/index.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import { errorFields } from '../telemetry/logger.js';
import { parseTraceparent, newTrace, type TraceContext } from '../telemetry/trace-context.js';
import type { InvokeDeps } from './deps.js';
import { failJob } from './fail.js';
import { invokeMessage, postprocessMessage } from './outbound.js';
import { backoffDelayMs } from './retry-policy.js';

/** Rescheduling because the quota is full is not a failed attempt: no call was made. */
export const QUOTA_PACED_REASON = 'quota_paced';

export async function invokeModel(
  deps: InvokeDeps,
  message: InvokeMessage,
  traceparent?: string,
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
  try {
    const completion = await deps.model.complete(message.request, {
      jobId: message.jobId,
      tenantId: message.tenantId,
      attempt: message.attempt,
      ...(traceparent ? { traceparent } : {}),
    });
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
          jobId: message.jobId,
          tenantId: message.tenantId,
          metadata: message.metadata,
          ...(message.webhookEndpointId ? { webhookEndpointId: message.webhookEndpointId } : {}),
          traceId: message.traceId,
          deadlineAt: message.deadlineAt,
          timings: { ...message.timings, invokeStartedAt: startedAt, modelCompletedAt: completedAt },
          attempts: message.attempt + 1,
          responseFormat: message.request.response_format,
          completion,
        },
        trace,
      ),
    );
  } catch (error) {
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
  if (error instanceof PermanentError) {
    log.warn('model.failed', { reason: error.reason, ...errorFields(error) });
    await failJob(deps, message, trace, { code: error.reason, message: error.detail }, message.attempt + 1);
    return;
  }
  if (error instanceof ConfigurationError) {
    // Our credentials or role assignments are wrong: loud, and the job waits for the fix.
    log.error('model.configuration_error', errorFields(error));
  } else if (!isPlatformError(error)) {
    log.warn('model.unexpected_error', errorFields(error));
  }
  const paced = error instanceof RetryAfterError && error.reason === QUOTA_PACED_REASON;
  const nextAttempt = paced ? message.attempt : message.attempt + 1;
  const requestedMs =
    error instanceof RetryAfterError || error instanceof ConfigurationError ? error.retryAfterMs : 0;
  const delayMs = paced ? requestedMs : backoffDelayMs(message.attempt, requestedMs);
  const retryAt = deps.clock() + delayMs;
  const reason =
    error instanceof RetryAfterError
      ? error.reason
      : isPlatformError(error)
        ? error.code
        : 'unexpected_error';
  if (nextAttempt >= deps.settings.maxAttempts) {
    await failJob(
      deps,
      message,
      trace,
      {
        code: 'attempts_exhausted',
        message: `The model call failed ${nextAttempt} times; last reason: ${reason}.`,
      },
      nextAttempt,
    );
    return;
  }
  if (retryAt >= message.deadlineAt) {
    await failJob(
      deps,
      message,
      trace,
      {
        code: 'deadline_exceeded',
        message: `The job could not be retried before its deadline; last reason: ${reason}.`,
      },
      nextAttempt,
    );
    return;
  }
  log.info('model.retry_scheduled', { reason, delayMs, nextAttempt });
  await deps.publisher.schedule(
    invokeMessage({ ...message, attempt: nextAttempt }, trace),
    new Date(retryAt),
  );
}
