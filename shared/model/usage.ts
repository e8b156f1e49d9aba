/**
 * Cost of usage. `costOf` is pure so the pipeline can price a completion wherever it records it; the
 * per-tenant totals the API exposes are summed by the store (shared/cosmos/usage-reader.ts).
 */
import type { ModelUsage } from './port.js';
import type { Capacity, Price, PriceTable } from './settings.js';

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
export function costOf(
  usage: ModelUsage,
  model: string,
  priceTable: PriceTable,
  capacity: Capacity = 'realtime',
): number | undefined {
  const listed = findPrice(model, priceTable);
  if (!listed) return undefined;
  const price = capacity === 'batch' ? (listed.batch ?? halved(listed)) : listed;
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

/** Azure's Global Batch discount (50%) when a price table names no batch prices of its own. */
function halved(price: Price): Omit<Price, 'batch'> {
  return {
    inputPer1M: price.inputPer1M / 2,
    ...(price.cachedInputPer1M !== undefined ? { cachedInputPer1M: price.cachedInputPer1M / 2 } : {}),
    outputPer1M: price.outputPer1M / 2,
  };
}
