/**
 * Sliding-window rate limit arithmetic (the "sliding window counter" approximation): one counter per
 * fixed window of W ms, and the rate estimate at time t into the current window is
 *
 *   estimate = previousCount * (1 - t / W) + currentCount
 *
 * A submission is admitted while estimate < limit, i.e. while currentCount < cap with
 * cap = ceil(limit - previousCount * (1 - t / W)). That form matters: "increment if count < cap" is a
 * single conditional patch in Cosmos DB, atomic on the server, so concurrent instances cannot race
 * past the limit and never need compare-and-swap retries. Unlike fixed windows there is no double
 * burst at a boundary: the previous window's admissions still weigh on the first part of the next.
 */

export const WINDOW_MS = 60_000;

export interface WindowPosition {
  /** Index of the current window (floor(now / W)). */
  readonly index: number;
  /** Milliseconds since the current window started. */
  readonly elapsedMs: number;
}

export function windowAt(nowMs: number, windowMs = WINDOW_MS): WindowPosition {
  const index = Math.floor(nowMs / windowMs);
  return { index, elapsedMs: nowMs - index * windowMs };
}

/** The most the current window's counter may hold before this admission (admit while count < cap). */
export function currentWindowCap(
  limit: number,
  previousCount: number,
  elapsedMs: number,
  windowMs = WINDOW_MS,
): number {
  const carried = previousCount * (1 - elapsedMs / windowMs);
  return Math.max(0, Math.ceil(limit - carried));
}

/**
 * When a refused caller should try again: when the previous window's weight has decayed enough for
 * one more admission, or, if that is past this window, shortly into the next one.
 */
export function retryAfterMs(
  limit: number,
  previousCount: number,
  currentCount: number,
  elapsedMs: number,
  windowMs = WINDOW_MS,
): number {
  if (previousCount > 0 && currentCount < limit) {
    // previous * (1 - t'/W) + current < limit  <=>  t' > W * (1 - (limit - current) / previous)
    const t = windowMs * (1 - (limit - currentCount) / previousCount);
    if (t < windowMs) return Math.max(1, Math.ceil(t - elapsedMs) + 1);
  }
  // This window is full on its own; once it closes, its count decays from the next window's cap.
  return Math.max(1, windowMs - elapsedMs + 1);
}
