/**
 * The straightforward O(n) QuotaBudget, kept as the test oracle: this is shared/model/quota-budget.ts as it
 * was before the window got running totals (commit 630907f), with only the class renamed and the shared
 * types imported. Every call scans the whole window, which is what made it slow at high call rates and
 * what makes it easy to trust. Do not optimise it: the equivalence test compares the real budget to it.
 */
import type { RateLimitSnapshot } from '../../../shared/model/rate-limit-headers.js';
import type { QuotaBudgetOptions, Reservation } from '../../../shared/model/quota-budget.js';

interface Charge {
  /** Moved to the actual send time by `restamp`. */
  at: number;
  readonly tokens: number;
  readonly requests: number;
  /** Usage by other instances or clients, learned from headers: counts against the deployment, not our share. */
  readonly external: boolean;
}

interface Usage {
  readonly tokens: number;
  readonly requests: number;
}

/** Header differences smaller than this share of the window budget are timing noise, not other users. */
const EXTERNAL_NOISE_FRACTION = 0.05;
const MIN_ADAPTIVE_FACTOR = 0.2;
const DECREASE = 0.85;
const INCREASE = 0.02;
const MARGIN_DECAY = 0.98;
const MAX_MARGIN_FRACTION = 0.1;

export class ReferenceQuotaBudget {
  private readonly charges: Charge[] = [];
  private cooldownUntil = 0;
  private adaptiveFactor = 1;
  private readonly baseMarginMs: number;
  /** Grows when a 429 shows the service still held quota we thought was free; decays back on success. */
  private marginMs: number;

  constructor(readonly options: QuotaBudgetOptions) {
    const shortest = Math.min(options.tokenWindowMs, options.requestWindowMs);
    this.baseMarginMs = options.expiryMarginMs ?? Math.max(20, Math.round(shortest * 0.005));
    this.marginMs = this.baseMarginMs;
  }

  private get tokenHorizonMs(): number {
    return this.options.tokenWindowMs + this.marginMs;
  }

  private get requestHorizonMs(): number {
    return this.options.requestWindowMs + this.marginMs;
  }

  /**
   * Per window: what this instance may use (its share) and what the whole deployment admits, both scaled
   * by the adaptive factor that 429s shrink.
   */
  limits(): { own: Usage; deployment: Usage } {
    const scale = (fraction: number): Usage => ({
      tokens: Math.max(
        1,
        Math.floor(((this.options.tokensPerMinute * this.options.tokenWindowMs) / 60_000) * fraction),
      ),
      requests: Math.max(
        1,
        Math.floor(((this.options.requestsPerMinute * this.options.requestWindowMs) / 60_000) * fraction),
      ),
    });
    return { own: scale(this.options.share * this.adaptiveFactor), deployment: scale(this.adaptiveFactor) };
  }

  /** 0 if a request costing `tokens` can go now, else how long until it can. */
  waitMs(tokens: number, now: number): number {
    this.expire(now);
    const { own, deployment } = this.limits();
    // Usage only falls as time passes, so each limit's wait is found on its own and the answer is the longest.
    return Math.max(
      0,
      this.cooldownUntil - now,
      this.tokenWait(tokens, own.tokens, false, now),
      this.tokenWait(tokens, deployment.tokens, true, now),
      this.requestWait(own.requests, false, now),
      this.requestWait(deployment.requests, true, now),
    );
  }

  /** Charges a request that is about to be sent. Call only after `waitMs` returned 0. */
  reserve(tokens: number, now: number): Reservation {
    this.expire(now);
    const charge: Charge = { at: now, tokens, requests: 1, external: false };
    this.charges.push(charge);
    return charge;
  }

  /**
   * The request actually left at `sentAt`, later than it was reserved (the SDK may first fetch an Entra
   * token, which takes a while on a cold instance): count the charge from then, as the service will.
   */
  restamp(reservation: Reservation, sentAt: number): void {
    const charge = this.charges.find((c) => c === reservation);
    if (!charge || sentAt <= charge.at) return;
    charge.at = sentAt;
    this.charges.sort((a, b) => a.at - b.at);
  }

  /** The service refused the request (429), so it charged nothing for it: neither do we. */
  release(reservation: Reservation): void {
    const index = this.charges.findIndex((charge) => charge === reservation);
    if (index >= 0) this.charges.splice(index, 1);
  }

  /** A successful response: learn from its headers and grow the adaptive share back. */
  onResponse(reservation: Reservation, rateLimit: RateLimitSnapshot, now: number): void {
    this.adaptiveFactor = Math.min(1, this.adaptiveFactor + INCREASE);
    this.marginMs = Math.max(this.baseMarginMs, this.marginMs * MARGIN_DECAY);
    this.learnExternalUsage(reservation, rateLimit, now);
  }

  /** A 429: the service is authoritative. Cool down until it says, and shrink our share. */
  onThrottled(retryAfterMs: number | undefined, now: number, sentAt?: number): void {
    const wait = retryAfterMs ?? this.options.requestWindowMs;
    const cap = Math.min(this.options.tokenWindowMs, this.options.requestWindowMs) * MAX_MARGIN_FRACTION;
    // We sent at `sentAt` because our window said the quota was free; the service frees it at now + wait.
    const lag = sentAt !== undefined && retryAfterMs !== undefined ? now + wait - sentAt : undefined;
    if (lag !== undefined && lag <= cap) {
      // A short gap: our own charges reached the service later than we stamped them (arrival after
      // sending, a busy event loop). Widen the expiry margin a little; our share is not the problem.
      this.marginMs = Math.min(cap, this.marginMs + lag / 8);
    } else if (now >= this.cooldownUntil) {
      // A long gap: someone else is using the deployment. Shrink our share, once per congestion event
      // (concurrent calls sent before the first 429 come back throttled together, as TCP halves once per RTT).
      this.adaptiveFactor = Math.max(MIN_ADAPTIVE_FACTOR, this.adaptiveFactor * DECREASE);
    }
    this.cooldownUntil = Math.max(this.cooldownUntil, now + wait);
  }

  /** Test and telemetry view. */
  snapshot(now: number): {
    usedTokens: number;
    usedRequests: number;
    externalTokens: number;
    cooldownMs: number;
    adaptiveFactor: number;
    marginMs: number;
  } {
    this.expire(now);
    const used = this.used(true, now);
    const own = this.used(false, now);
    return {
      usedTokens: used.tokens,
      usedRequests: used.requests,
      externalTokens: used.tokens - own.tokens,
      cooldownMs: Math.max(0, this.cooldownUntil - now),
      adaptiveFactor: this.adaptiveFactor,
      marginMs: Math.round(this.marginMs),
    };
  }

  private tokenWait(tokens: number, limit: number, includeExternal: boolean, now: number): number {
    let used = 0;
    for (const charge of this.charges) {
      if ((includeExternal || !charge.external) && charge.at + this.tokenHorizonMs > now)
        used += charge.tokens;
    }
    // A request bigger than a whole window is admitted into an empty one, as the service does.
    if (used + tokens <= limit || used === 0) return 0;
    for (const charge of this.charges) {
      if ((!includeExternal && charge.external) || charge.at + this.tokenHorizonMs <= now) continue;
      used -= charge.tokens;
      if (used + tokens <= limit || used <= 0) return Math.max(1, charge.at + this.tokenHorizonMs - now);
    }
    return this.tokenHorizonMs;
  }

  private requestWait(limit: number, includeExternal: boolean, now: number): number {
    let used = 0;
    for (const charge of this.charges) {
      if ((includeExternal || !charge.external) && charge.at + this.requestHorizonMs > now)
        used += charge.requests;
    }
    if (used + 1 <= limit) return 0;
    for (const charge of this.charges) {
      if ((!includeExternal && charge.external) || charge.at + this.requestHorizonMs <= now) continue;
      used -= charge.requests;
      if (used + 1 <= limit) return Math.max(1, charge.at + this.requestHorizonMs - now);
    }
    return this.requestHorizonMs;
  }

  /**
   * The headers say how much of the deployment's quota was left when our request arrived (per-minute
   * units). If the service counted more than we know of, someone else used the rest: charge the
   * difference as external usage, stamped at our send time, so it leaves our window about when it
   * leaves the service's.
   */
  private learnExternalUsage(reservation: Reservation, rateLimit: RateLimitSnapshot, now: number): void {
    const { tokensPerMinute, requestsPerMinute, tokenWindowMs, requestWindowMs } = this.options;
    const windowTokens = (tokensPerMinute * tokenWindowMs) / 60_000;
    const windowRequests = (requestsPerMinute * requestWindowMs) / 60_000;
    // Everything we know of that the service may have counted when our request arrived: charges still in
    // the window when we sent it, including ones reserved after ours (concurrent calls can overtake).
    // The service stamped our request somewhere between sending and now, so allow that much skew too.
    const known = this.usedSince(reservation.at - Math.max(0, now - reservation.at));
    let tokens = 0;
    let requests = 0;
    if (rateLimit.remainingTokens !== undefined) {
      const external = windowTokens - (rateLimit.remainingTokens * tokenWindowMs) / 60_000 - known.tokens;
      if (external > windowTokens * EXTERNAL_NOISE_FRACTION) tokens = Math.round(external);
    }
    if (rateLimit.remainingRequests !== undefined) {
      const external =
        windowRequests - (rateLimit.remainingRequests * requestWindowMs) / 60_000 - known.requests;
      if (external >= 1 && external > windowRequests * EXTERNAL_NOISE_FRACTION)
        requests = Math.floor(external);
    }
    if (tokens > 0 || requests > 0) {
      this.charges.push({ at: Math.min(reservation.at, now), tokens, requests, external: true });
      this.charges.sort((a, b) => a.at - b.at);
    }
  }

  private usedSince(sentAt: number): Usage {
    let tokens = 0;
    let requests = 0;
    for (const charge of this.charges) {
      if (charge.at + this.tokenHorizonMs > sentAt) tokens += charge.tokens;
      if (charge.at + this.requestHorizonMs > sentAt) requests += charge.requests;
    }
    return { tokens, requests };
  }

  private expire(now: number): void {
    const horizon = Math.max(this.tokenHorizonMs, this.requestHorizonMs);
    while (this.charges.length > 0 && this.charges[0]!.at + horizon <= now) this.charges.shift();
  }

  private used(includeExternal: boolean, now: number): Usage {
    let tokens = 0;
    let requests = 0;
    for (const charge of this.charges) {
      if (charge.external && !includeExternal) continue;
      if (charge.at + this.tokenHorizonMs > now) tokens += charge.tokens;
      if (charge.at + this.requestHorizonMs > now) requests += charge.requests;
    }
    return { tokens, requests };
  }
}
