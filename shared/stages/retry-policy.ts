/**
 * Backoff for transient failures: exponential with full jitter (AWS architecture blog's "full jitter"),
 * floored by whatever the dependency asked for (`retry-after-ms`). Delays become scheduled messages.
 */
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 5 * 60_000;

export function backoffDelayMs(attempt: number, requestedMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt));
  const jittered = Math.round(ceiling * random());
  return Math.max(requestedMs, jittered, 100);
}
