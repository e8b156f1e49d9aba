/**
 * Daily token budget per tenant (UTC calendar day). Spent tokens come from finished jobs' usage.
 * When the budget is spent the tenant's policy decides: `refuse` (429 until the next UTC midnight) or
 * `hold` (accept the job but schedule its model call for the next UTC midnight: a delay is a message).
 */
import { ADMIT, rateLimited, type Admission } from './admission-decision.js';
import type { Clock } from '../time/clock.js';

export interface TokenUsageReader {
  /** Tokens used by the tenant's jobs completed at or after `since`. */
  tokensUsedSince(tenantId: string, since: Date): Promise<number>;
}

export type BudgetPolicy = 'refuse' | 'hold';

export function startOfUtcDay(nowMs: number): Date {
  const now = new Date(nowMs);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function nextUtcMidnightMs(nowMs: number): number {
  return startOfUtcDay(nowMs).getTime() + 24 * 60 * 60 * 1000;
}

export async function checkDailyBudget(
  usage: TokenUsageReader,
  tenantId: string,
  budget: { readonly dailyTokenBudget: number; readonly budgetPolicy: BudgetPolicy },
  nowMs: number,
): Promise<Admission> {
  const used = await usage.tokensUsedSince(tenantId, startOfUtcDay(nowMs));
  if (used < budget.dailyTokenBudget) return ADMIT;
  const untilMs = nextUtcMidnightMs(nowMs);
  if (budget.budgetPolicy === 'hold') return { kind: 'hold', untilMs, usedTokens: used };
  return rateLimited('The daily token budget for this tenant is spent.', untilMs - nowMs);
}

/**
 * Caches each tenant's usage for a few seconds: the budget is a daily figure, so being a few seconds
 * stale costs at most a few seconds' worth of overshoot, and saves one aggregate query per submission.
 * Concurrent misses for one tenant share one query: when the entry expires under load, every waiting
 * submission would otherwise run the same aggregate at once.
 */
export class CachedTokenUsageReader implements TokenUsageReader {
  private readonly cache = new Map<string, { value: number; atMs: number; since: number }>();
  private readonly reads = new Map<string, { since: number; read: Promise<number> }>();

  constructor(
    private readonly inner: TokenUsageReader,
    private readonly ttlMs = 10_000,
    private readonly clock: Clock = Date.now,
  ) {}

  async tokensUsedSince(tenantId: string, since: Date): Promise<number> {
    const hit = this.cache.get(tenantId);
    const nowMs = this.clock();
    if (hit && hit.since === since.getTime() && nowMs - hit.atMs < this.ttlMs) return hit.value;
    const pending = this.reads.get(tenantId);
    if (pending && pending.since === since.getTime()) return pending.read;
    const read = this.inner
      .tokensUsedSince(tenantId, since)
      .then((value) => {
        this.cache.set(tenantId, { value, atMs: nowMs, since: since.getTime() });
        return value;
      })
      .finally(() => {
        if (this.reads.get(tenantId)?.read === read) this.reads.delete(tenantId);
      });
    this.reads.set(tenantId, { since: since.getTime(), read });
    return read;
  }
}
