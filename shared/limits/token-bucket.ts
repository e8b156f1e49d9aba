/**
 * Token bucket arithmetic, shared by the in-memory and the Cosmos limiter. Capacity = the per-minute
 * limit (a tenant may burst one minute's worth), refilled continuously at limit/60 per second, so
 * there is no window-boundary double burst as with fixed windows.
 */

export interface BucketState {
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export type TakeResult =
  | { readonly allowed: true; readonly state: BucketState }
  | { readonly allowed: false; readonly retryAfterMs: number };

export function takeToken(state: BucketState | undefined, perMinute: number, nowMs: number): TakeResult {
  const refillPerMs = perMinute / 60_000;
  // Another instance's clock may be slightly ahead: never refill for negative elapsed time.
  const elapsed = state ? Math.max(0, nowMs - state.updatedAtMs) : 0;
  const available = state ? Math.min(perMinute, state.tokens + elapsed * refillPerMs) : perMinute;
  if (available >= 1) {
    return {
      allowed: true,
      state: { tokens: available - 1, updatedAtMs: Math.max(nowMs, state?.updatedAtMs ?? 0) },
    };
  }
  return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((1 - available) / refillPerMs)) };
}
