/**
 * When to try again. Standard Webhooks' example schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 14 h, 20 h, 24 h (about 3 days in all). Each retry is a scheduled message, never a sleep.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delay before attempt n (1-based) is `RETRY_SCHEDULE_MS[n - 1]`. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];

/** A receiver's Retry-After is honoured but never beyond this: one day, the schedule's longest step. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/** Retry-After in ms from delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if unparseable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/**
 * Delay before `nextAttempt`, or undefined when the schedule is exhausted. Spec: add some jitter so retries
 * caused by our own load do not arrive in lock-step; jitter only ever lengthens (up to +10%).
 */
export function delayBefore(
  nextAttempt: number,
  schedule: readonly number[],
  options: { readonly retryAfterMs?: number; readonly random?: () => number } = {},
): number | undefined {
  const base = schedule[nextAttempt - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 + 0.1 * (options.random ?? Math.random)()));
  const floor = Math.min(options.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(jittered, floor);
}
