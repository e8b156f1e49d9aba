/**
 * Attempt budget and job deadline for model calls. The principle: only failures that say something about
 * the job or the provider's health spend an attempt; waiting for quota does not. A job paced because no
 * deployment had quota, throttled by a 429, or held back by an open circuit would otherwise run out of
 * attempts under plain load and fail although nothing is wrong with it. Those waits are bounded by the
 * job deadline instead.
 */
import { ConfigurationError, PermanentError, RetryAfterError } from '../errors/index.js';
import { QUOTA_PACED_REASON, TENANT_PACED_REASON } from './reasons.js';

/** RetryAfterError reasons that mean "busy", not "broken". */
export const WAITING_REASONS: ReadonlySet<string> = new Set([
  QUOTA_PACED_REASON,
  TENANT_PACED_REASON,
  'model_rate_limited',
  'model_circuit_open',
]);

export function consumesAttempt(error: unknown): boolean {
  return !(error instanceof RetryAfterError && WAITING_REASONS.has(error.reason));
}

export interface AttemptState {
  /** Attempts already spent (0 before the first call). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Epoch ms after which the job fails with `deadline_exceeded`. */
  readonly deadlineAt: number;
  readonly now: number;
}

export type RetryDecision =
  | {
      readonly kind: 'retry';
      readonly delayMs: number;
      readonly nextAttempt: number;
      readonly reason: string;
    }
  | { readonly kind: 'fail'; readonly reason: string; readonly detail: string };

const BASE_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * What to do after a model call failed with `error`. Waiting reasons keep the attempt number and use the
 * delay the model layer computed (it already spreads paced jobs over time); failures spend an attempt and
 * back off exponentially with full jitter, never sooner than the service asked.
 */
export function decideModelRetry(
  error: unknown,
  state: AttemptState,
  random: () => number = Math.random,
): RetryDecision {
  if (error instanceof PermanentError) return { kind: 'fail', reason: error.reason, detail: error.detail };
  const requestedMs =
    error instanceof RetryAfterError || error instanceof ConfigurationError ? error.retryAfterMs : 0;
  const reason =
    error instanceof RetryAfterError
      ? error.reason
      : error instanceof ConfigurationError
        ? error.code
        : 'unexpected_error';
  const spends = consumesAttempt(error);
  const nextAttempt = spends ? state.attempt + 1 : state.attempt;
  if (nextAttempt >= state.maxAttempts) {
    return {
      kind: 'fail',
      reason: 'attempts_exhausted',
      detail: `The model call failed ${nextAttempt} times; last reason: ${reason}.`,
    };
  }
  const backoff = Math.round(Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** state.attempt) * random());
  const delayMs = Math.max(1, spends ? Math.max(requestedMs, backoff) : requestedMs);
  if (state.now + delayMs >= state.deadlineAt) {
    return {
      kind: 'fail',
      reason: 'deadline_exceeded',
      detail: `The job could not be retried before its deadline; last reason: ${reason}.`,
    };
  }
  return { kind: 'retry', delayMs, nextAttempt, reason };
}
