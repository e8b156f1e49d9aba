/**
 * The service's quota check for one deployment. Azure OpenAI meters TPM and RPM per deployment but
 * enforces them over short windows (1-10 s): a deployment with 60,000 TPM admits about 10,000 tokens
 * in any 10 s window, and RPM is 6 per 1,000 TPM. A request is charged prompt + max_tokens when it
 * arrives, whether or not it later produces that many tokens.
 *
 * This is a sliding-window log: exact, deterministic and cheap at simulator scale.
 */

export interface LimiterDecision {
  readonly admitted: boolean;
  /** When refused: how long until the same request would be admitted. */
  readonly retryAfterMs: number;
  readonly limitedBy: 'tokens' | 'requests' | null;
  /** Remaining in the current window, scaled to per-minute units the way the headers report quota. */
  readonly remainingTokens: number;
  readonly remainingRequests: number;
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
    readonly windowMs: number,
  ) {
    const fraction = windowMs / 60_000;
    this.tokenBudget = Math.max(1, Math.floor(tokensPerMinute * fraction));
    this.requestBudget = Math.max(1, Math.floor(requestsPerMinute * fraction));
  }

  tryAcquire(now: number, tokens: number): LimiterDecision {
    this.expire(now);
    const usedTokens = this.usedTokens();
    const usedRequests = this.charges.length;
    // A request larger than a whole window would never fit; like the service, admit it into an empty window.
    const fitsTokens = usedTokens + tokens <= this.tokenBudget || usedRequests === 0;
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
    return {
      admitted: false,
      retryAfterMs: this.timeUntilFits(now, tokens),
      limitedBy: fitsRequests ? 'tokens' : 'requests',
      ...this.remaining(usedTokens, usedRequests),
    };
  }

  /** Current remaining quota without charging anything. */
  peek(now: number): { remainingTokens: number; remainingRequests: number } {
    this.expire(now);
    return this.remaining(this.usedTokens(), this.charges.length);
  }

  private timeUntilFits(now: number, tokens: number): number {
    let usedTokens = this.usedTokens();
    let usedRequests = this.charges.length;
    for (const charge of this.charges) {
      usedTokens -= charge.tokens;
      usedRequests -= 1;
      const fits =
        (usedTokens + tokens <= this.tokenBudget || usedRequests === 0) &&
        usedRequests + 1 <= this.requestBudget;
      if (fits) return Math.max(1, charge.at + this.windowMs - now);
    }
    return this.windowMs;
  }

  private expire(now: number): void {
    while (this.charges.length > 0 && this.charges[0]!.at + this.windowMs <= now) this.charges.shift();
  }

  private usedTokens(): number {
    let sum = 0;
    for (const charge of this.charges) sum += charge.tokens;
    return sum;
  }

  private remaining(
    usedTokens: number,
    usedRequests: number,
  ): { remainingTokens: number; remainingRequests: number } {
    const scale = 60_000 / this.windowMs;
    return {
      remainingTokens: Math.max(0, Math.floor((this.tokenBudget - usedTokens) * scale)),
      remainingRequests: Math.max(0, Math.floor((this.requestBudget - usedRequests) * scale)),
    };
  }
}
