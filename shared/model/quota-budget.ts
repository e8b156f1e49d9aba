/**
 * Quota-aware pacing for one deployment. Azure OpenAI charges a request prompt + max_tokens when it
 * arrives and enforces TPM/RPM over short windows, so the budget keeps the same sliding window of what
 * this instance has sent and only admits a request that fits. Three signals correct the local view:
 *  - `x-ratelimit-remaining-*` headers (when present and not -1) reveal usage by other instances or
 *    other clients of the deployment; the difference to our own log is charged as "external" usage;
 *  - a 429's `retry-after-ms` / `retry-after` cools the deployment down until then;
 *  - each 429 shrinks this instance's effective share (multiplicative decrease), each success grows it
 *    back slowly (additive increase), so concurrency adapts to what the quota really admits.
 */
import type { RateLimitSnapshot } from './rate-limit-headers.js';

export interface QuotaBudgetOptions {
  readonly tokensPerMinute: number;
  readonly requestsPerMinute: number;
  readonly windowMs: number;
  /** This instance's share of the deployment's quota, (0, 1]. */
  readonly share: number;
  /**
   * Our entries expire this much later than the service's would: the service stamps a request when it
   * arrives, after we send it (connection set-up, a busy event loop on either side), so without a margin
   * we could re-use quota a few ms too early. Default: 1% of the window, at least 50 ms.
   */
  readonly expiryMarginMs?: number;
}

interface Charge {
  readonly at: number;
  readonly tokens: number;
  readonly requests: number;
  /** Usage by other instances or clients, learned from headers: counts against the deployment, not our share. */
  readonly external: boolean;
}

/** Header differences smaller than this share of the window budget are timing noise, not other users. */
const EXTERNAL_NOISE_FRACTION = 0.05;
const MIN_ADAPTIVE_FACTOR = 0.2;
const DECREASE = 0.85;
const INCREASE = 0.02;

export interface Reservation {
  readonly at: number;
  readonly tokens: number;
  /** Our window usage right after this charge, in tokens, to compare with the service's headers. */
  readonly usedTokensAfter: number;
  readonly usedRequestsAfter: number;
}

export class QuotaBudget {
  private readonly charges: Charge[] = [];
  private cooldownUntil = 0;
  private adaptiveFactor = 1;
  private readonly expiryMarginMs: number;

  constructor(readonly options: QuotaBudgetOptions) {
    this.expiryMarginMs = options.expiryMarginMs ?? Math.max(50, Math.round(options.windowMs * 0.01));
  }

  /**
   * Per window: what this instance may use (its share) and what the whole deployment admits, both scaled
   * by the adaptive factor that 429s shrink.
   */
  limits(): { own: Limit; deployment: Limit } {
    const window = (this.options.windowMs / 60_000) * this.adaptiveFactor;
    const scale = (fraction: number): Limit => ({
      tokens: Math.max(1, Math.floor(this.options.tokensPerMinute * fraction)),
      requests: Math.max(1, Math.floor(this.options.requestsPerMinute * fraction)),
    });
    return { own: scale(window * this.options.share), deployment: scale(window) };
  }

  /** 0 if a request costing `tokens` can go now, else how long until it can. */
  waitMs(tokens: number, now: number): number {
    this.expire(now);
    const cooldown = Math.max(0, this.cooldownUntil - now);
    const { own, deployment } = this.limits();
    const used = { own: this.used(false), all: this.used(true) };
    // A request bigger than a whole window is admitted into an empty one, as the service does.
    const fits = (): boolean =>
      (used.own.tokens + tokens <= own.tokens || used.own.tokens === 0) &&
      used.own.requests + 1 <= own.requests &&
      (used.all.tokens + tokens <= deployment.tokens || used.all.tokens === 0) &&
      used.all.requests + 1 <= deployment.requests;
    if (fits()) return cooldown;
    for (const charge of this.charges) {
      used.all = { tokens: used.all.tokens - charge.tokens, requests: used.all.requests - charge.requests };
      if (!charge.external) {
        used.own = { tokens: used.own.tokens - charge.tokens, requests: used.own.requests - charge.requests };
      }
      if (fits()) return Math.max(cooldown, charge.at + this.options.windowMs + this.expiryMarginMs - now, 1);
    }
    return Math.max(cooldown, this.options.windowMs);
  }

  /** Charges a request that is about to be sent. Call only after `waitMs` returned 0. */
  reserve(tokens: number, now: number): Reservation {
    this.expire(now);
    this.charges.push({ at: now, tokens, requests: 1, external: false });
    const used = this.used(true);
    return { at: now, tokens, usedTokensAfter: used.tokens, usedRequestsAfter: used.requests };
  }

  /** A successful response: learn from its headers and grow the adaptive share back. */
  onResponse(reservation: Reservation, rateLimit: RateLimitSnapshot, now: number): void {
    this.adaptiveFactor = Math.min(1, this.adaptiveFactor + INCREASE);
    this.learnExternalUsage(reservation, rateLimit, now);
  }

  /** A 429: the service is authoritative. Cool down and shrink our share. */
  onThrottled(retryAfterMs: number | undefined, rateLimit: RateLimitSnapshot, now: number): void {
    const wait = retryAfterMs ?? this.options.windowMs;
    this.cooldownUntil = Math.max(this.cooldownUntil, now + wait);
    this.adaptiveFactor = Math.max(MIN_ADAPTIVE_FACTOR, this.adaptiveFactor * DECREASE);
    // A 429 proves the window is full whatever we counted; the cooldown already covers it.
    void rateLimit;
  }

  /** Test and telemetry view. */
  snapshot(now: number): {
    usedTokens: number;
    usedRequests: number;
    cooldownMs: number;
    adaptiveFactor: number;
  } {
    this.expire(now);
    const used = this.used(true);
    return {
      usedTokens: used.tokens,
      usedRequests: used.requests,
      cooldownMs: Math.max(0, this.cooldownUntil - now),
      adaptiveFactor: this.adaptiveFactor,
    };
  }

  /**
   * The headers say how much of the deployment's quota is left as the service saw it when our request
   * arrived (in per-minute units). If the service counted more than we sent, someone else used the rest:
   * charge that difference as external usage so this instance backs off for the window.
   */
  private learnExternalUsage(reservation: Reservation, rateLimit: RateLimitSnapshot, now: number): void {
    const perMinute = 60_000 / this.options.windowMs;
    const windowTokens = this.options.tokensPerMinute / perMinute;
    const windowRequests = this.options.requestsPerMinute / perMinute;
    let externalTokens = 0;
    let externalRequests = 0;
    if (rateLimit.remainingTokens !== undefined) {
      const serviceUsed = windowTokens - rateLimit.remainingTokens / perMinute;
      externalTokens = serviceUsed - reservation.usedTokensAfter;
    }
    if (rateLimit.remainingRequests !== undefined) {
      const serviceUsed = windowRequests - rateLimit.remainingRequests / perMinute;
      externalRequests = serviceUsed - reservation.usedRequestsAfter;
    }
    const tokens = externalTokens > windowTokens * EXTERNAL_NOISE_FRACTION ? Math.round(externalTokens) : 0;
    const requests =
      externalRequests >= 1 && externalRequests > windowRequests * EXTERNAL_NOISE_FRACTION
        ? Math.floor(externalRequests)
        : 0;
    if (tokens > 0 || requests > 0) {
      // Stamped at our request's send time: that usage leaves the service's window about when ours does.
      this.charges.push({ at: Math.min(reservation.at, now), tokens, requests, external: true });
      this.charges.sort((a, b) => a.at - b.at);
    }
  }

  private expire(now: number): void {
    const horizon = this.options.windowMs + this.expiryMarginMs;
    while (this.charges.length > 0 && this.charges[0]!.at + horizon <= now) this.charges.shift();
  }

  private used(includeExternal: boolean): Limit {
    let tokens = 0;
    let requests = 0;
    for (const charge of this.charges) {
      if (charge.external && !includeExternal) continue;
      tokens += charge.tokens;
      requests += charge.requests;
    }
    return { tokens, requests };
  }
}

interface Limit {
  readonly tokens: number;
  readonly requests: number;
}
