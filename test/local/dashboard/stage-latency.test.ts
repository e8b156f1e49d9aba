import { describe, expect, it } from 'vitest';
import { StageLatency, percentile } from '../../../local/dashboard/stage-latency.js';

describe('stage latency', () => {
  it('gives nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('groups stage spans by the second they ended in and closes a second once it is past', () => {
    const latency = new StageLatency();
    for (let i = 1; i <= 100; i += 1) latency.record({ stage: 'invoke', endMs: 10_000 + i, durationMs: i });
    latency.record({ stage: 'persist', endMs: 10_500, durationMs: 3 });
    latency.record({ stage: 'invoke', endMs: 11_200, durationMs: 1_000 });
    // The second from 10 s is not over at 10.9 s.
    expect(latency.close(10_900)).toEqual([]);
    expect(latency.close(11_500)).toEqual([
      {
        t: 10_000,
        stages: {
          invoke: { p50: 50, p99: 99, count: 100 },
          persist: { p50: 3, p99: 3, count: 1 },
        },
      },
    ]);
    expect(latency.close(12_000)).toEqual([
      { t: 11_000, stages: { invoke: { p50: 1_000, p99: 1_000, count: 1 } } },
    ]);
  });

  it('counts a span that ends in a second already closed as late, not in a point', () => {
    const latency = new StageLatency();
    latency.close(20_000);
    latency.record({ stage: 'invoke', endMs: 19_999, durationMs: 5 });
    expect(latency.lateSpans).toBe(1);
    expect(latency.close(30_000)).toEqual([]);
  });

  it('keeps at most maxSamples durations a second per stage, and still counts every span', () => {
    let seed = 1;
    // A small LCG: deterministic, and uniform enough for the reservoir.
    const random = () => ((seed = (seed * 48_271) % 2_147_483_647) - 1) / 2_147_483_646;
    const latency = new StageLatency({ maxSamples: 64, random });
    for (let i = 0; i < 10_000; i += 1)
      latency.record({ stage: 'invoke', endMs: 5_000, durationMs: i % 100 });
    const [point] = latency.close(6_000);
    const invoke = point!.stages.invoke!;
    expect(invoke.count).toBe(10_000);
    // A sample of 64 from 0..99 uniform: the median lands near 50, the p99 near the top.
    expect(invoke.p50).toBeGreaterThan(25);
    expect(invoke.p50).toBeLessThan(75);
    expect(invoke.p99).toBeGreaterThan(80);
  });
});
