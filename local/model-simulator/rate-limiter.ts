/**
 * The service's quota check for one deployment, as Azure OpenAI documents it: a request is charged its
 * estimated prompt tokens + max_tokens when it arrives (whether or not it later produces that many),
 * tokens are counted against TPM over a minute, and requests against RPM (6 per 1,000 TPM) over short
 * windows of 1-10 s. Both windows are configurable so benchmarks can compress time.
 *
 * This is a sliding-window log: exact, deterministic and cheap at simulator scale.
 */

export interface LimiterDecision {
  readonly admitted: boolean;
  /** When refused: how long until the same request would be admitted. */
  readonly retryAfterMs: number;
  readonly limitedBy: 'tokens' | 'requests' | null;
  /** Remaining in the current windows, scaled to per-minute units the way the headers report quota. */
  readonly remainingTokens: number;
  readonly remainingRequests: number;
}

export interface LimiterWindows {
  readonly tokenWindowMs: number;
  readonly requestWindowMs: number;
}

interface Charge {
  readonly at: number;
  readonly tokens: number;
}

export class SlidingWindowLimiter {
  readonly tokenBudget: number;
  readonly requestBudget: number;
  private readonly charges: Charge[] = [];

  constructor(
    readonly tokensPerMinute: number,
    readonly requestsPerMinute: number,
    readonly windows: LimiterWindows,
  ) {
    this.tokenBudget = Math.max(1, Math.floor((tokensPerMinute * windows.tokenWindowMs) / 60_000));
    this.requestBudget = Math.max(1, Math.floor((requestsPerMinute * windows.requestWindowMs) / 60_000));
  }

  tryAcquire(now: number, tokens: number): LimiterDecision {
    this.expire(now);
    const usedTokens = this.usedTokens(now);
    const usedRequests = this.usedRequests(now);
    // A request larger than a whole window would never fit; like the service, admit it into an empty window.
    const fitsTokens = usedTokens + tokens <= this.tokenBudget || usedTokens === 0;
    const fitsRequests = usedRequests + 1 <= this.requestBudget;
    if (fitsTokens && fitsRequests) {
      this.charges.push({ at: now, tokens });
      return {
        admitted: true,
        retryAfterMs: 0,
        limitedBy: null,
        ...this.remaining(usedTokens + tokens, usedRequests + 1),
      };
    }
    const tokenWait = fitsTokens ? 0 : this.tokenWait(now, tokens, usedTokens);
    const requestWait = fitsRequests ? 0 : this.requestWait(now, usedRequests);
    return {
      admitted: false,
      retryAfterMs: Math.max(1, tokenWait, requestWait),
      limitedBy: tokenWait >= requestWait ? 'tokens' : 'requests',
      ...this.remaining(usedTokens, usedRequests),
    };
  }

  /** Tokens and requests currently counted in the windows (for benchmarks measuring occupancy). */
  used(now: number): { tokens: number; requests: number } {
    this.expire(now);
    return { tokens: this.usedTokens(now), requests: this.usedRequests(now) };
  }

  /** Current remaining quota without charging anything. */
  peek(now: number): { remainingTokens: number; remainingRequests: number } {
    this.expire(now);
    return this.remaining(this.usedTokens(now), this.usedRequests(now));
  }

  private tokenWait(now: number, tokens: number, used: number): number {
    const { tokenWindowMs } = this.windows;
    for (const charge of this.charges) {
      if (charge.at + tokenWindowMs <= now) continue;
      used -= charge.tokens;
      if (used + tokens <= this.tokenBudget || used === 0) return charge.at + tokenWindowMs - now;
    }
    return tokenWindowMs;
  }

  private requestWait(now: number, used: number): number {
    const { requestWindowMs } = this.windows;
    for (const charge of this.charges) {
      if (charge.at + requestWindowMs <= now) continue;
      used -= 1;
      if (used + 1 <= this.requestBudget) return charge.at + requestWindowMs - now;
    }
    return requestWindowMs;
  }

  private expire(now: number): void {
    const horizon = Math.max(this.windows.tokenWindowMs, this.windows.requestWindowMs);
    while (this.charges.length > 0 && this.charges[0]!.at + horizon <= now) this.charges.shift();
  }

  private usedTokens(now: number): number {
    let sum = 0;
    for (const charge of this.charges) if (charge.at + this.windows.tokenWindowMs > now) sum += charge.tokens;
    return sum;
  }

  private usedRequests(now: number): number {
    let count = 0;
    for (const charge of this.charges) if (charge.at + this.windows.requestWindowMs > now) count += 1;
    return count;
  }

  private remaining(
    usedTokens: number,
    usedRequests: number,
  ): { remainingTokens: number; remainingRequests: number } {
    return {
      remainingTokens: Math.max(
        0,
        Math.floor(((this.tokenBudget - usedTokens) * 60_000) / this.windows.tokenWindowMs),
      ),
      remainingRequests: Math.max(
        0,
        Math.floor(((this.requestBudget - usedRequests) * 60_000) / this.windows.requestWindowMs),
      ),
    };
  }
}
