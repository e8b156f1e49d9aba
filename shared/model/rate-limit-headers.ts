/**
 * Reading Azure OpenAI's quota headers. `retry-after-ms` is precise, `retry-after` is whole seconds (or an
 * HTTP date), and `x-ratelimit-remaining-tokens/-requests` are sometimes missing or -1, meaning unknown.
 */

export interface HeaderSource {
  get(name: string): string | null;
}

export interface RateLimitSnapshot {
  /** Remaining quota as the service reports it (per-minute units); undefined when missing or -1. */
  readonly remainingTokens?: number;
  readonly remainingRequests?: number;
}

export function parseRetryAfterMs(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter === null) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function nonNegative(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

export function parseRateLimit(headers: HeaderSource | undefined): RateLimitSnapshot {
  if (!headers) return {};
  const remainingTokens = nonNegative(headers.get('x-ratelimit-remaining-tokens'));
  const remainingRequests = nonNegative(headers.get('x-ratelimit-remaining-requests'));
  return {
    ...(remainingTokens !== undefined ? { remainingTokens } : {}),
    ...(remainingRequests !== undefined ? { remainingRequests } : {}),
  };
}
