/**
 * The fair scheduler in virtual time (fair-sim.ts) in front of a real QuotaBudget: weighted shares of a
 * saturated deployment, the light tenant unharmed by a flood, tenant token limits (split across the
 * fleet), and priorities within a tenant with background work promoted before its deadline.
 */
import { describe, expect, test } from 'vitest';
import { FairScheduler } from '../../../../shared/model/fairness/fair-scheduler.js';
import { waterFill } from '../../../../shared/model/fairness/water-fill.js';
import { median, percentile, simulate, waits } from './fair-sim.js';

const windowMs = 1_000;
const capacity = 10_000;

describe('water filling', () => {
  test('shares by weight, never more than asked, and what one leaves goes to the others by weight', () => {
    const shares = waterFill(1_000, [
      { key: 'small', weight: 1, demand: 100 },
      { key: 'a', weight: 1, demand: 5_000 },
      { key: 'b', weight: 2, demand: 5_000 },
    ]);
    expect(shares.get('small')).toBe(100);
    expect(shares.get('a')).toBeCloseTo(300);
    expect(shares.get('b')).toBeCloseTo(600);
  });
});

describe('weighted fairness on a saturated deployment', () => {
  test.each([1, 2])(
    'two equal tenants, one sending 10x: each gets half while both are backlogged (%i instances)',
    (instances) => {
      // With two, each instance has half the quota and every other job of each tenant, as competing
      // consumers of one queue get.
      const result = simulate({
        windowMs,
        capacity,
        durationMs: 8 * windowMs,
        instances,
        tenants: [
          { id: 'heavy', tokensPerWindow: 60_000, cost: 100 },
          { id: 'light', tokensPerWindow: 6_000, cost: 100 },
        ],
      });
      const fair = (capacity * 6) / 2;
      expect(Math.abs(result.tokens('heavy', 2_000, 8_000) - fair) / fair).toBeLessThan(0.1);
      expect(Math.abs(result.tokens('light', 2_000, 8_000) - fair) / fair).toBeLessThan(0.1);
    },
  );

  test('weights 3:1 split the deployment 3:1', () => {
    const result = simulate({
      windowMs,
      capacity,
      durationMs: 8 * windowMs,
      tenants: [
        { id: 'gold', tokensPerWindow: 30_000, cost: 100, scheduling: { priority: 'standard', weight: 3 } },
        { id: 'plain', tokensPerWindow: 30_000, cost: 100 },
      ],
    });
    const gold = result.tokens('gold', 2 * windowMs, 8 * windowMs);
    const plain = result.tokens('plain', 2 * windowMs, 8 * windowMs);
    expect(gold / (gold + plain)).toBeGreaterThan(0.7);
    expect(gold / (gold + plain)).toBeLessThan(0.8);
  });

  test('a light tenant under its share waits no longer next to a flood than alone; the flood gets the rest', () => {
    const light = { id: 'light', tokensPerWindow: 2_500, cost: 100 };
    const alone = simulate({ windowMs, capacity, durationMs: 6 * windowMs, tenants: [light] });
    const flooded = simulate({
      windowMs,
      capacity,
      durationMs: 6 * windowMs,
      tenants: [light, { id: 'heavy', tokensPerWindow: 25_000, cost: 100 }],
    });
    const lightWaits = waits(flooded.jobs, 'light');
    expect(lightWaits.length).toBe(waits(alone.jobs, 'light').length);
    expect(median(lightWaits)).toBeLessThanOrEqual(Math.max(1, 2 * median(waits(alone.jobs, 'light'))));
    // Work-conserving: the heavy tenant fills what the light one leaves (the deployment stays full).
    const used = flooded.tokens('heavy', 2_000, 6_000) + flooded.tokens('light', 2_000, 6_000);
    expect(used / (capacity * 4)).toBeGreaterThan(0.93);
  });
});

describe('tenant token limits', () => {
  test('a tenant over its tokens per minute is held back though the deployment has room; the others are not', () => {
    const perMinute = 3_000 * 60; // 3,000 tokens per 1 s window
    const result = simulate({
      windowMs,
      capacity,
      durationMs: 6 * windowMs,
      tenants: [
        {
          id: 'capped',
          tokensPerWindow: 8_000,
          cost: 100,
          scheduling: { priority: 'standard', weight: 1, tokensPerMinute: perMinute },
        },
        { id: 'free', tokensPerWindow: 2_000, cost: 100 },
      ],
    });
    for (let start = 0; start + windowMs <= 6 * windowMs; start += 250) {
      expect(result.tokens('capped', start, start + windowMs)).toBeLessThanOrEqual(3_000);
    }
    expect(result.tokens('capped', 2_000, 6_000)).toBeGreaterThan(0.9 * 3_000 * 4);
    expect(result.reasons.get('tenant_limit')).toBeGreaterThan(0);
    expect(median(waits(result.jobs, 'free'))).toBe(0);
  });

  test('each instance enforces its fleet fraction of the limit, so two instances at one half stay within it', () => {
    const perMinute = 4_000 * 60;
    const half = () =>
      simulate({
        windowMs,
        capacity,
        durationMs: 5 * windowMs,
        fleetFraction: 0.5,
        tenants: [
          {
            id: 'capped',
            tokensPerWindow: 8_000,
            cost: 100,
            scheduling: { priority: 'standard', weight: 1, tokensPerMinute: perMinute },
          },
        ],
      });
    const [a, b] = [half(), half()];
    for (let start = 0; start + windowMs <= 5 * windowMs; start += 250) {
      const both = a.tokens('capped', start, start + windowMs) + b.tokens('capped', start, start + windowMs);
      expect(both).toBeLessThanOrEqual(4_000);
    }
  });
});

describe('priorities within a tenant', () => {
  test.each([1, 2])(
    'interactive goes first; background yields but is called before its deadline (%i instances)',
    (instances) => {
      const result = simulate({
        windowMs,
        capacity,
        durationMs: 14 * windowMs,
        submitForMs: 5 * windowMs,
        instances,
        tenants: [
          { id: 't', tokensPerWindow: 5_000, cost: 100, scheduling: { priority: 'interactive', weight: 1 } },
          {
            id: 't',
            tokensPerWindow: 10_000,
            cost: 100,
            scheduling: { priority: 'background', weight: 1 },
            deadlineMs: 8 * windowMs,
          },
        ],
      });
      const interactive = waits(result.jobs, 't', 'interactive');
      const background = waits(result.jobs, 't', 'background');
      expect(percentile(interactive, 0.95)).toBeLessThanOrEqual(percentile(background, 0.95) / 5);
      const late = result.jobs.filter(
        (j) => j.calledAt === undefined || (j.deadlineAt !== undefined && j.calledAt > j.deadlineAt),
      );
      expect(late).toEqual([]);
    },
  );

  test('paced jobs get later slots at their tenant and class share, capped by the horizon; each tenant queues apart', () => {
    const scheduler = new FairScheduler({
      windowMs,
      horizonMs: 10_000,
      capacity: () => capacity,
      free: () => capacity,
      fleetFraction: () => 1,
    });
    const ask = (tenantId: string, id: string) => ({ tenantId, jobId: id });
    // One tenant alone asking for 3 jobs of 100 per window: its share is about 400 tokens per 1 s.
    const first = scheduler.deferral(ask('a', 'a1'), 100, 50, 0);
    const second = scheduler.deferral(ask('a', 'a2'), 100, 50, 0);
    const third = scheduler.deferral(ask('a', 'a3'), 100, 50, 0);
    expect(first).toBe(50);
    expect(second).toBeGreaterThan(first + 100);
    expect(third).toBeGreaterThan(second + 100);
    expect(scheduler.deferral(ask('a', 'huge'), 1_000_000, 0, 0)).toBeGreaterThan(third);
    expect(scheduler.deferral(ask('a', 'a4'), 100, 0, 0)).toBe(10_000);
    // Another tenant's first paced job is not queued behind the first tenant's backlog.
    expect(scheduler.deferral(ask('b', 'b1'), 100, 50, 0)).toBe(50);
  });

  test('a deferred job is never pushed past the point where its deadline makes it urgent', () => {
    const scheduler = new FairScheduler({
      windowMs,
      horizonMs: 3_600_000,
      capacity: () => capacity,
      free: () => capacity,
      fleetFraction: () => 1,
    });
    const now = 0;
    const ask = (id: string, deadlineAt?: number) => ({
      tenantId: 't',
      jobId: id,
      scheduling: { priority: 'background' as const, weight: 1, ...(deadlineAt ? { deadlineAt } : {}) },
    });
    // A long backlog in the background queue pushes its slots far out...
    for (let i = 0; i < 500; i += 1) scheduler.deferral(ask(`b${i}`), 100, 1, now);
    expect(scheduler.deferral(ask('late'), 100, 1, now)).toBeGreaterThan(4_000);
    // ...but a job due in 10 s comes back when it becomes urgent (two windows before), not after.
    expect(scheduler.deferral(ask('due', 10_000), 100, 1, now)).toBeLessThanOrEqual(8_000);
  });
});
