/**
 * The heavy-work pool runs tasks on worker threads (from the TypeScript sources here, through the source
 * hooks), declines a tenant's task beyond its share instead of queueing it, and cancels a task that
 * outlives its time budget by replacing its thread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { countPromptTokens } from '../../../shared/model/tokens.js';
import { HeavyWorkPool } from '../../../shared/work/heavy-work-pool.js';

let pool: HeavyWorkPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const big = (unit: string, count: number) => [{ role: 'user', content: unit.repeat(count) }];

describe('HeavyWorkPool', () => {
  it('counts prompt tokens on a worker thread, the same as on the event loop', async () => {
    pool = new HeavyWorkPool({ threads: 1, perTenant: 2, maxQueue: 8, timeoutMs: 20_000 });
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(2000) },
    ];
    const outcome = await pool.run('tenant-a', { kind: 'promptTokens', messages });
    expect(outcome).toEqual({ ok: true, value: countPromptTokens(messages) });
  });

  it("declines a tenant's task beyond its share while another tenant's runs", async () => {
    pool = new HeavyWorkPool({ threads: 2, perTenant: 1, maxQueue: 8, timeoutMs: 20_000 });
    const first = pool.run('greedy', { kind: 'promptTokens', messages: big('x y ', 100_000) });
    const second = pool.run('greedy', { kind: 'promptTokens', messages: big('x y ', 10) });
    const other = pool.run('polite', { kind: 'promptTokens', messages: big('x y ', 10) });
    expect(await second).toEqual({ ok: false, declined: 'tenant_busy' });
    expect((await other).ok).toBe(true);
    expect((await first).ok).toBe(true);
    expect(pool.inUse('greedy')).toBe(0);
  });

  it('lets a task wait a bounded time for its tenant share, or without bound when asked to', async () => {
    pool = new HeavyWorkPool({ threads: 2, perTenant: 1, maxQueue: 8, timeoutMs: 20_000 });
    const long = pool.run('t', { kind: 'promptTokens', messages: big('x y ', 200_000) });
    const impatient = await pool.run('t', { kind: 'promptTokens', messages: big('a', 5) }, { waitMs: 1 });
    expect(impatient).toEqual({ ok: false, declined: 'tenant_busy' });
    expect(pool.waiting('t')).toBe(0);
    const patient = pool.run('t', { kind: 'promptTokens', messages: big('a', 5) }, { waitMs: 20_000 });
    const queued = pool.run('t', { kind: 'promptTokens', messages: big('b', 5) }, { wait: true });
    expect(pool.waiting('t')).toBe(2);
    expect((await long).ok).toBe(true);
    expect((await patient).ok).toBe(true);
    expect((await queued).ok).toBe(true);
    expect(pool.inUse('t')).toBe(0);
  });

  it('cancels a task past its time budget and keeps serving', async () => {
    pool = new HeavyWorkPool({ threads: 1, perTenant: 4, maxQueue: 8, timeoutMs: 30_000 });
    // A warm thread first, so the short budget below is spent on the task, not on starting a thread
    // from the TypeScript sources.
    expect((await pool.run('t', { kind: 'promptTokens', messages: big('warm ', 3) })).ok).toBe(true);
    // Hangul syllables in pseudo-random order (no chunk repeats, so the tokenizer's cache never helps):
    // over a µs a character, far beyond 200 ms for 3M characters.
    let seed = 1;
    const dense = Array.from({ length: 3_000_000 }, () => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return String.fromCharCode(0xac00 + (seed % 11_172));
    }).join('');
    const started = performance.now();
    const slow = await pool.run(
      't',
      { kind: 'promptTokens', messages: [{ role: 'user', content: dense }] },
      { timeoutMs: 200 },
    );
    expect(slow).toEqual({ ok: false, declined: 'timed_out' });
    expect(performance.now() - started).toBeLessThan(3_000);
    // The thread was terminated and replaced: the next task runs.
    const after = await pool.run('t', { kind: 'promptTokens', messages: big('ok ', 3) });
    expect(after.ok).toBe(true);
  });

  it('declines when its queue is full', async () => {
    pool = new HeavyWorkPool({ threads: 1, perTenant: 100, maxQueue: 1, timeoutMs: 20_000 });
    const runs = Array.from({ length: 6 }, () =>
      pool!.run('t', { kind: 'promptTokens', messages: big('x y ', 50_000) }),
    );
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : o.declined))).toContain('pool_busy');
    expect(outcomes.some((o) => o.ok)).toBe(true);
  });

  it('declines everything once closed', async () => {
    pool = new HeavyWorkPool({ threads: 1, perTenant: 1, maxQueue: 1, timeoutMs: 1_000 });
    await pool.close();
    expect(await pool.run('t', { kind: 'promptTokens', messages: big('a', 1) })).toEqual({
      ok: false,
      declined: 'pool_busy',
    });
  });
});
