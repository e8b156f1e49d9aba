/**
 * One place that decides what a failed model call means. The router needs more than the platform error
 * (a 429 cools a deployment down, a 5xx counts against its circuit breaker, a content filter ends the
 * job at once), so a failure is classified first and turned into a PlatformError last.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ConfigurationError, PermanentError, RetryAfterError, type PlatformError } from '../errors/index.js';
import { parseRateLimit, parseRetryAfterMs, type RateLimitSnapshot } from './rate-limit-headers.js';

export type FailureKind =
  /** The job itself can never succeed: content filter, context too long, bad request. */
  | 'permanent'
  /** Our setup is wrong (401/403, unknown deployment): another deployment may still work. */
  | 'configuration'
  /** 429: the deployment is out of quota until `retryAfterMs`. */
  | 'throttled'
  /** 408, 5xx, timeouts, resets: the deployment may be unhealthy. */
  | 'transient';

export interface ModelFailure {
  readonly kind: FailureKind;
  /** Machine-readable reason recorded on the job, e.g. `content_filter`, `model_timeout`. */
  readonly reason: string;
  /** Safe to show: no keys, no tokens, no prompt text. */
  readonly detail: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly rateLimit: RateLimitSnapshot;
  readonly cause: unknown;
  /** Sent, then given up on before its answer (a timeout): the model may have answered and charged it. */
  readonly unanswered?: true;
}

/** When the service names no delay, transient failures retry after this. */
export const DEFAULT_TRANSIENT_RETRY_MS = 2_000;
/** Configuration errors are retried slowly: a person has to fix something first. */
export const CONFIGURATION_RETRY_MS = 5 * 60_000;

export function classifyModelFailure(error: unknown, deployment: string): ModelFailure {
  if (error instanceof APIConnectionTimeoutError) {
    return {
      ...transient('model_timeout', `The model call to ${deployment} timed out`, error),
      unanswered: true,
    };
  }
  if (error instanceof APIUserAbortError) {
    return transient('model_call_aborted', `The model call to ${deployment} was aborted`, error);
  }
  if (error instanceof APIConnectionError) {
    return transient('model_connection_failed', `The connection to ${deployment} failed`, error);
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    return classifyStatus(error as HttpApiError, error.status, deployment);
  }
  return transient('model_call_failed', `The model call to ${deployment} failed unexpectedly`, error);
}

type HttpApiError = APIError<number, Headers, object | undefined>;

function classifyStatus(error: HttpApiError, status: number, deployment: string): ModelFailure {
  const rateLimit = parseRateLimit(error.headers);
  const retryAfterMs = parseRetryAfterMs(error.headers);
  const code = typeof error.code === 'string' ? error.code : undefined;
  const base = { status, rateLimit, cause: error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (status === 429) {
    return { ...base, kind: 'throttled', reason: 'model_rate_limited', detail: `${deployment} answered 429` };
  }
  if (status === 408 || status >= 500) {
    return {
      ...base,
      kind: 'transient',
      reason: `model_http_${status}`,
      detail: `${deployment} answered ${status}`,
    };
  }
  if (status === 401 || status === 403) {
    return {
      ...base,
      kind: 'configuration',
      reason: status === 401 ? 'model_unauthorized' : 'model_forbidden',
      detail:
        `${deployment} refused our credentials (${status}); check the managed identity's ` +
        "'Cognitive Services OpenAI User' role or MODEL_API_KEY",
    };
  }
  if (status === 404) {
    return {
      ...base,
      kind: 'configuration',
      reason: 'model_deployment_not_found',
      detail: `${deployment} does not exist at the configured endpoint; check MODEL_POOLS`,
    };
  }
  if (code === 'content_filter') {
    return {
      ...base,
      kind: 'permanent',
      reason: 'content_filter',
      detail: "The prompt was blocked by the model provider's content filter; change the prompt and resubmit",
    };
  }
  if (code === 'context_length_exceeded') {
    return {
      ...base,
      kind: 'permanent',
      reason: 'context_length_exceeded',
      detail:
        "The prompt plus max_tokens exceeds the model's context window; shorten the messages or max_tokens",
    };
  }
  return {
    ...base,
    kind: 'permanent',
    reason: 'model_bad_request',
    detail: `The model rejected the request (${status}${code ? ` ${code}` : ''}): ${safeMessage(error)}`,
  };
}

function transient(reason: string, detail: string, cause: unknown): ModelFailure {
  return { kind: 'transient', reason, detail, rateLimit: {}, cause };
}

/** Provider messages describe the request, never our credentials; still, keep them short. */
function safeMessage(error: HttpApiError): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : error.message;
  return message.slice(0, 300);
}

/** The platform error for a failure the caller sees (after routing gave up on other deployments). */
export function toPlatformError(failure: ModelFailure): PlatformError {
  switch (failure.kind) {
    case 'permanent':
      return new PermanentError(failure.detail, failure.reason, { cause: failure.cause });
    case 'configuration':
      return new ConfigurationError(failure.detail, failure.retryAfterMs ?? CONFIGURATION_RETRY_MS, {
        cause: failure.cause,
      });
    case 'throttled':
    case 'transient':
      return new RetryAfterError(
        failure.detail,
        failure.retryAfterMs ?? DEFAULT_TRANSIENT_RETRY_MS,
        failure.reason,
        {
          cause: failure.cause,
        },
      );
  }
}
