/**
 * The sweep's share of a run: up to `limit` open batches, oldest first, taken in turns between tenants, so
 * a tenant with many open batches cannot keep another tenant's out of every run.
 */
import { describe, expect, it } from 'vitest';
import { fairShare, sweepBatches } from '../../../shared/batches/sweep.js';
import { batchDeps, line, startBatch } from './fakes.js';

describe('fairShare', () => {
  it('takes the oldest of each tenant in turns, up to the limit', () => {
    const open = ['a1', 'a2', 'a3', 'b1', 'a4', 'c1', 'b2'].map((id) => ({ tenantId: id[0]!, id }));
    expect(fairShare(open, 4).map((each) => each.id)).toEqual(['a1', 'b1', 'c1', 'a2']);
    expect(fairShare(open, 10).map((each) => each.id)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    expect(fairShare([], 3)).toEqual([]);
  });
});

describe('sweepBatches', () => {
  it("moves another tenant's batch along although one tenant's open batches fill the limit", async () => {
    const deps = batchDeps();
    const many = [];
    // Three batches of t1 (the fakes store one input file per tenant: the windows tell them apart).
    for (const window of ['600s', '700s', '800s'])
      many.push(await startBatch(deps, [line('a')], window, 't1'));
    const other = await startBatch(deps, [line('b')], '24h', 't2');
    expect(await sweepBatches(deps, { limit: 2 })).toEqual({ open: 2, failed: 0 });
    expect((await deps.batches.get('t2', other.id))?.batch.status).toBe('in_progress');
    const statuses = await Promise.all(
      many.map(async (b) => (await deps.batches.get('t1', b.id))?.batch.status),
    );
    expect(statuses).toEqual(['in_progress', 'validating', 'validating']);
  });
});
