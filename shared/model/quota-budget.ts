/**
 * Quota-aware pacing for one deployment. Azure OpenAI charges a request prompt + max_tokens when it
 * arrives, counts tokens against TPM over a minute and requests against RPM over short (1-10 s) windows.
 * The budget keeps the same sliding windows of what this instance has sent and admits a request only if
 * it fits both. A sliding window never admits more than a fixed per-minute counter would, wherever the
 * service's minute starts, so it is safe against either reading of the service's rules.
 *
 * Three signals correct the local view:
 *  - `x-ratelimit-remaining-*` headers (when present and not -1) reveal usage by other instances or
 *    other clients of the deployment; the difference to our own log is charged as "external" usage;
 *  - a 429's `retry-after-ms` / `retry-after` cools the deployment down until then;
 *  - each 429 shrinks this instance's effective share (multiplicative decrease), each success grows it
 *    back (additive increase), so the admitted concurrency adapts to what the quota really admits.
 */
import { ChargeWindow, type Charge } from './charge-window.js';
import type { RateLimitSnapshot } from './rate-limit-headers.js';

export interface QuotaBudgetOptions {
  readonly tokensPerMinute: number;
  readonly requestsPerMinute: number;
  readonly tokenWindowMs: number;
  readonly requestWindowMs: number;
  /** This instance's share of the deployment's quota, [0, 1]; fleet coordination changes it (setShare). */
  readonly share: number;
  /** While the share is 0, how long a request waits before asking again (when the share may grow). */
  readonly zeroShareRetryMs?: number;
  /**
   * Our entries expire this much later than the service's would: the service stamps a request when it
   * arrives, after we send it (connection set-up, a busy event loop on either side), so without a margin
   * we could re-use quota a few ms too early. Default: 0.5% of the window, at least 50 ms.
   */
  readonly expiryMarginMs?: number;
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

/** A charge this instance made; the same object as in the window, so it can be restamped or released. */
export interface Reservation {
  readonly at: number;
  readonly tokens: number;
}

/**
 * The window is a `ChargeWindow`: charges in order of `at` with running totals, because scanning every
 * charge of the last minute on each call (as this class first did) cost O(n) per call - about 6,000
 * charges at 100 calls/s, ~90 us of main-thread CPU per `waitMs`, growing with the call rate. Each
 * question the budget asks ("how much is still in the window", "when has enough left") is now a binary
 * search on `at` plus a subtraction of totals. The horizons change with `marginMs`, so nothing assumes a
 * fixed cut-off: each call searches with the current one.
 */
export class QuotaBudget {
  private readonly window = new ChargeWindow();
  private cooldownUntil = 0;
  private adaptiveFactor = 1;
  private share: number;
  private readonly baseMarginMs: number;
  /** Grows when a 429 shows the service still held quota we thought was free; decays back on success. */
  private marginMs: number;

  constructor(readonly options: QuotaBudgetOptions) {
    const shortest = Math.min(options.tokenWindowMs, options.requestWindowMs);
    this.baseMarginMs = options.expiryMarginMs ?? Math.max(20, Math.round(shortest * 0.005));
    this.marginMs = this.baseMarginMs;
    this.share = options.share;
  }

  /** The fleet's coordination granted another share; usage already in the window keeps counting. */
  setShare(share: number): void {
    this.share = Math.min(1, Math.max(0, share));
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
    return { own: scale(this.share * this.adaptiveFactor), deployment: scale(this.adaptiveFactor) };
  }

  /** 0 if a request costing `tokens` can go now, else how long until it can. */
  waitMs(tokens: number, now: number): number {
    this.expire(now);
    // No share at all (e.g. a new instance while the others' requests leave the window): not even the
    // one request an empty window admits.
    if (this.share <= 0) return Math.max(1, this.cooldownUntil - now, this.options.zeroShareRetryMs ?? 1_000);
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
    this.window.add(charge);
    return charge;
  }

  /**
   * The request actually left at `sentAt`, later than it was reserved (the SDK may first fetch an Entra
   * token, which takes a while on a cold instance): count the charge from then, as the service will.
   */
  restamp(reservation: Reservation, sentAt: number): void {
    // Reservations are the charges themselves (see `reserve`); one no longer in the window is left alone.
    const charge = reservation as Charge;
    if (sentAt <= charge.at) return;
    this.window.moveLater(charge, sentAt);
  }

  /** The service refused the request (429), so it charged nothing for it: neither do we. */
  release(reservation: Reservation): void {
    this.window.remove(reservation as Charge);
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
    const used = this.usedAfter(true, now);
    const own = this.usedAfter(false, now);
    return {
      usedTokens: used.tokens,
      usedRequests: used.requests,
      externalTokens: used.tokens - own.tokens,
      cooldownMs: Math.max(0, this.cooldownUntil - now),
      adaptiveFactor: this.adaptiveFactor,
      marginMs: Math.round(this.marginMs),
    };
  }

  /** Tokens this budget would still admit now (its share, the deployment's quota; none in a cooldown). */
  freeTokens(now: number): number {
    if (this.share <= 0 || this.cooldownUntil > now) return 0;
    const { own, deployment } = this.limits();
    const first = this.window.firstLive(this.tokenHorizonMs, now);
    const ownFree = own.tokens - this.window.sumFrom(first, 'ownTokens');
    return Math.max(0, Math.min(ownFree, deployment.tokens - this.window.sumFrom(first, 'allTokens')));
  }

  /**
   * The share of the deployment's quota that this instance's own requests still occupy at `time` (a
   * time from now on), tokens or requests, whichever is more: what it must claim from the fleet.
   */
  ownUsageAt(time: number): number {
    const { tokensPerMinute, requestsPerMinute, tokenWindowMs, requestWindowMs } = this.options;
    const own = this.usedAfter(false, time);
    return Math.max(
      own.tokens / Math.max(1, (tokensPerMinute * tokenWindowMs) / 60_000),
      own.requests / Math.max(1, (requestsPerMinute * requestWindowMs) / 60_000),
    );
  }

  private tokenWait(tokens: number, limit: number, includeExternal: boolean, now: number): number {
    const horizon = this.tokenHorizonMs;
    const measure = includeExternal ? 'allTokens' : 'ownTokens';
    const first = this.window.firstLive(horizon, now);
    const used = this.window.sumFrom(first, measure);
    // A request bigger than a whole window is admitted into an empty one, as the service does.
    if (used + tokens <= limit || used === 0) return 0;
    const leaving = this.window.firstLeavingEnough(
      first,
      measure,
      (remaining) => remaining + tokens <= limit || remaining <= 0,
    );
    return this.waitUntilLeft(leaving, horizon, now);
  }

  private requestWait(limit: number, includeExternal: boolean, now: number): number {
    const horizon = this.requestHorizonMs;
    const measure = includeExternal ? 'allRequests' : 'ownRequests';
    const first = this.window.firstLive(horizon, now);
    const used = this.window.sumFrom(first, measure);
    if (used + 1 <= limit) return 0;
    const leaving = this.window.firstLeavingEnough(first, measure, (remaining) => remaining + 1 <= limit);
    return this.waitUntilLeft(leaving, horizon, now);
  }

  /**
   * How long until the charge at `index` leaves a window of `horizon`, at least 1 ms; a whole horizon if
   * no charge does (cannot happen while limits are at least 1, kept as the safe answer).
   * The charge found is always one the limit counts: a charge it ignores (someone else's, for our own
   * limit) leaves the remaining usage as it was, so the one before it would already have fitted.
   */
  private waitUntilLeft(index: number, horizon: number, now: number): number {
    if (index >= this.window.end) return horizon;
    return Math.max(1, this.window.chargeAt(index).at + horizon - now);
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
    const known = this.usedAfter(true, reservation.at - Math.max(0, now - reservation.at));
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
      this.window.add({ at: Math.min(reservation.at, now), tokens, requests, external: true });
    }
  }

  private expire(now: number): void {
    this.window.dropExpired(Math.max(this.tokenHorizonMs, this.requestHorizonMs), now);
  }

  /** Usage of the charges that still count at `time` (each measure with its own window). */
  private usedAfter(includeExternal: boolean, time: number): Usage {
    const tokens = includeExternal ? 'allTokens' : 'ownTokens';
    const requests = includeExternal ? 'allRequests' : 'ownRequests';
    return {
      tokens: this.window.sumFrom(this.window.firstLive(this.tokenHorizonMs, time), tokens),
      requests: this.window.sumFrom(this.window.firstLive(this.requestHorizonMs, time), requests),
    };
  }
}
