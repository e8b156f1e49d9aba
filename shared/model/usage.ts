/**
 * Usage and cost. `costOf` is pure so the pipeline can price a completion wherever it records it, and
 * `addUsage` folds completions into per-tenant totals the API can expose.
 */
import type { ModelUsage } from './port.js';
import type { Price, PriceTable } from './settings.js';

/**
 * The price for a model name. Azure reports versioned names (`gpt-4o-mini-2024-07-18`), so the longest
 * configured name that prefixes it wins (`gpt-4o-mini` before `gpt-4o`).
 */
export function findPrice(model: string, priceTable: PriceTable): Price | undefined {
  const exact = priceTable[model];
  if (exact) return exact;
  let best: { name: string; price: Price } | undefined;
  for (const [name, price] of Object.entries(priceTable)) {
    if (model.startsWith(name) && (!best || name.length > best.name.length)) best = { name, price };
  }
  return best?.price;
}

/**
 * USD for one completion, or undefined when no price is configured for the model (the caller records
 * the usage and flags the cost as unknown rather than pretending it was free). Cached prompt tokens are
 * part of `promptTokens` and billed at the cached rate when one is configured.
 */
export function costOf(usage: ModelUsage, model: string, priceTable: PriceTable): number | undefined {
  const price = findPrice(model, priceTable);
  if (!price) return undefined;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const cachedRate = price.cachedInputPer1M ?? price.inputPer1M;
  const usd =
    ((usage.promptTokens - cached) * price.inputPer1M +
      cached * cachedRate +
      usage.completionTokens * price.outputPer1M) /
    1_000_000;
  // Round to a millionth of a cent so sums stay stable when stored as JSON numbers.
  return Math.round(usd * 1e8) / 1e8;
}

export interface UsageTotals {
  readonly jobs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly costUsd: number;
  /** Jobs whose model had no configured price: their tokens are counted, their cost is not. */
  readonly unpricedJobs: number;
}

export function emptyUsageTotals(): UsageTotals {
  return { jobs: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: 0, unpricedJobs: 0 };
}

export function addUsage(totals: UsageTotals, usage: ModelUsage, costUsd: number | undefined): UsageTotals {
  return {
    jobs: totals.jobs + 1,
    promptTokens: totals.promptTokens + usage.promptTokens,
    completionTokens: totals.completionTokens + usage.completionTokens,
    cachedTokens: totals.cachedTokens + usage.cachedTokens,
    costUsd: Math.round((totals.costUsd + (costUsd ?? 0)) * 1e8) / 1e8,
    unpricedJobs: totals.unpricedJobs + (costUsd === undefined ? 1 : 0),
  };
}

/** Per-tenant totals from a list of recorded completions (e.g. read back from the job store). */
export function totalsByTenant(
  records: Iterable<{
    readonly tenantId: string;
    readonly usage: ModelUsage;
    readonly costUsd?: number | undefined;
  }>,
): Map<string, UsageTotals> {
  const totals = new Map<string, UsageTotals>();
  for (const record of records) {
    totals.set(
      record.tenantId,
      addUsage(totals.get(record.tenantId) ?? emptyUsageTotals(), record.usage, record.costUsd),
    );
  }
  return totals;
}
