/**
 * Daily usage rollups: sums per model alias and terminal status, written once per tenant and ended day.
 */
import { describe, expect, it } from 'vitest';
import { rollUpDay, sumRows } from '../../../shared/tenancy/usage-rollup.js';
import { MemoryUsageRollups } from '../../fakes/memory-usage-rollups.js';

const usage = (prompt: number, completion: number, costUsd: number, costUnknown?: true) => ({
  promptTokens: prompt,
  completionTokens: completion,
  cachedTokens: 0,
  totalTokens: prompt + completion,
  costUsd,
  ...(costUnknown ? { costUnknown } : {}),
});

describe('usage rollups', () => {
  it('sum per model and status, counting unpriced jobs and jobs without usage', () => {
    expect(
      sumRows([
        { model: 'gpt-4o-mini', status: 'succeeded', usage: usage(10, 5, 0.1) },
        { model: 'gpt-4o-mini', status: 'succeeded', usage: usage(20, 5, 0.2) },
        { model: 'gpt-4o-mini', status: 'cancelled' },
        { model: 'llama', status: 'succeeded', usage: usage(3, 1, 0, true) },
      ]),
    ).toEqual([
      {
        model: 'gpt-4o-mini',
        status: 'cancelled',
        jobs: 1,
        promptTokens: 0,
        completionTokens: 0,
        cachedTokens: 0,
        totalTokens: 0,
        costUsd: 0,
        unpricedJobs: 0,
      },
      {
        model: 'gpt-4o-mini',
        status: 'succeeded',
        jobs: 2,
        promptTokens: 30,
        completionTokens: 10,
        cachedTokens: 0,
        totalTokens: 40,
        costUsd: 0.3,
        unpricedJobs: 0,
      },
      {
        model: 'llama',
        status: 'succeeded',
        jobs: 1,
        promptTokens: 3,
        completionTokens: 1,
        cachedTokens: 0,
        totalTokens: 4,
        costUsd: 0,
        unpricedJobs: 1,
      },
    ]);
  });

  it('roll up an ended day once per tenant, from that day\u2019s jobs only', async () => {
    const rollups = new MemoryUsageRollups();
    rollups.finished.push(
      {
        tenantId: 'a',
        completedAt: '2026-12-01T23:59:59.999Z',
        model: 'm',
        status: 'succeeded',
        usage: usage(1, 1, 0.01),
      },
      {
        tenantId: 'a',
        completedAt: '2026-12-02T00:00:00.000Z',
        model: 'm',
        status: 'failed',
        usage: usage(2, 0, 0.02),
      },
      {
        tenantId: 'b',
        completedAt: '2026-12-01T12:00:00.000Z',
        model: 'm',
        status: 'succeeded',
        usage: usage(5, 5, 0.1),
      },
    );
    const deps = {
      rollups,
      tenantIds: () => Promise.resolve(['a', 'b', 'c']),
      clock: () => Date.parse('2026-12-02T00:01:00Z'),
    };
    expect(await rollUpDay(deps, '2026-12-01')).toBe(3);
    expect((await rollups.get('a', '2026-12-01'))?.rows).toMatchObject([
      { status: 'succeeded', jobs: 1, totalTokens: 2 },
    ]);
    expect((await rollups.get('b', '2026-12-01'))?.rows).toMatchObject([{ jobs: 1, totalTokens: 10 }]);
    expect((await rollups.get('c', '2026-12-01'))?.rows).toEqual([]);
    // Once per tenant and day.
    expect(await rollUpDay(deps, '2026-12-01')).toBe(0);
    await expect(rollUpDay(deps, '2026-12-02')).rejects.toThrow(/has not ended/);
  });
});
