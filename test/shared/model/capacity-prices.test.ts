import { describe, expect, it } from 'vitest';
import {
  capacityOfDeployment,
  DEFAULT_PRICE_TABLE,
  ModelPoolsSchema,
  type PriceTable,
} from '../../../shared/model/settings.js';
import { costOf } from '../../../shared/model/usage.js';

const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 0 };

describe('Global Batch capacity and prices', () => {
  it('prices batch usage at the table’s batch prices, about half of real-time', () => {
    const realtime = costOf(usage, 'gpt-4o-mini-2024-07-18', DEFAULT_PRICE_TABLE)!;
    const batch = costOf(usage, 'gpt-4o-mini-2024-07-18', DEFAULT_PRICE_TABLE, 'batch')!;
    expect(realtime).toBeCloseTo(0.75, 8);
    expect(batch).toBeCloseTo(0.375, 8);
  });

  it('halves the real-time prices (cached input included) when a table names no batch prices', () => {
    const table: PriceTable = { custom: { inputPer1M: 4, cachedInputPer1M: 2, outputPer1M: 8 } };
    const cached = { promptTokens: 1_000_000, completionTokens: 0, cachedTokens: 500_000 };
    expect(costOf(cached, 'custom', table, 'batch')).toBeCloseTo((0.5 * 4 + 0.5 * 2) / 2, 8);
    expect(costOf(usage, 'custom', table, 'batch')).toBeCloseTo(6, 8);
  });

  it('parses a globalBatch deployment beside real-time ones and tells their capacity apart', () => {
    const pools = ModelPoolsSchema.parse({
      'gpt-4o-mini': [
        { name: 'rt', endpoint: 'https://a.openai.azure.com', tpm: 30_000 },
        {
          name: 'gb',
          kind: 'globalBatch',
          endpoint: 'https://a.openai.azure.com',
          enqueuedTokens: 5_000_000,
        },
      ],
    });
    expect(pools['gpt-4o-mini']![1]).toMatchObject({ kind: 'globalBatch', turnaroundSeconds: 21_600 });
    expect(capacityOfDeployment(pools, 'gb')).toBe('batch');
    expect(capacityOfDeployment(pools, 'rt')).toBe('realtime');
  });

  it('refuses a model served only by Global Batch: interactive work needs a real-time deployment', () => {
    const result = ModelPoolsSchema.safeParse({
      m: [{ name: 'gb', kind: 'globalBatch', endpoint: 'https://a.openai.azure.com', enqueuedTokens: 1000 }],
    });
    expect(result.success).toBe(false);
  });
});
