import { describe, expect, it } from 'vitest';
import { buildOverview, type OverviewInput } from '../../../local/dashboard/overview.js';
import type { Sample } from '../../../local/dashboard/sampler.js';

const queue = (active: number, extra: Partial<Sample['queues'][string]> = {}) => ({
  active,
  scheduled: 0,
  locked: 0,
  deadLettered: 0,
  ...extra,
});

function sample(t: number, accepted: number, succeeded: number, charged: number, ok = 0): Sample {
  return {
    t,
    totals: {
      accepted,
      finished: succeeded ? { succeeded } : {},
      modelCalls: ok ? { gpt: { 'local-gpt': { ok }, none: { paced: 1 } } } : {},
    },
    queues: { persist: queue(1), invoke: queue(accepted - succeeded, { scheduled: 2, deadLettered: 1 }) },
    deployments: { gpt: { requests: ok, throttled: ok > 0 ? 3 : 0, chargedTokens: charged } },
  };
}

const input = (samples: Sample[], extra: Partial<OverviewInput> = {}): OverviewInput => ({
  now: 0,
  intervalMs: 1_000,
  samples,
  latencyPoints: [],
  deployments: [{ model: 'gpt', deployment: 'local-gpt', simulatorName: 'gpt', tpm: 10_000 }],
  recentJobs: [],
  traces: { held: 0, capacity: 10 },
  ...extra,
});

describe('the overview', () => {
  it('turns cumulative samples into jobs per second, and counts jobs by status with the rest queued', () => {
    const overview = buildOverview(
      input([sample(10_000, 0, 0, 0), sample(11_000, 10, 4, 0), sample(13_000, 30, 30, 0)]),
    );
    expect(overview.throughput).toEqual({
      t: [11, 13],
      lines: { accepted: [10, 10], finished: [4, 13] },
    });
    expect(overview.statuses).toEqual({ queued: 0, succeeded: 30 });
    expect(buildOverview(input([sample(11_000, 10, 4, 0)])).statuses).toEqual({ queued: 6, succeeded: 4 });
    expect(buildOverview(input([])).statuses).toEqual({ queued: 0 });
  });

  it('lists the queues in pipeline order with their counts, and their depth over time', () => {
    const overview = buildOverview(input([sample(1_000, 5, 0, 0), sample(2_000, 8, 1, 0)]));
    expect(overview.queues).toEqual([
      { name: 'invoke', active: 7, scheduled: 2, locked: 0, deadLettered: 1 },
      { name: 'persist', active: 1, scheduled: 0, locked: 0, deadLettered: 0 },
    ]);
    expect(overview.queueDepth).toEqual({ t: [1, 2], lines: { invoke: [5, 7], persist: [1, 1] } });
  });

  it("gives each deployment its last minute's quota use, its 429s and calls, and paced calls a row", () => {
    const samples = [
      sample(0, 0, 0, 1_000, 1),
      sample(30_000, 0, 0, 2_000, 2),
      sample(60_000, 0, 0, 3_000, 3),
      sample(90_000, 0, 0, 7_000, 4),
    ];
    const overview = buildOverview(input(samples));
    expect(overview.deployments).toEqual([
      {
        model: 'gpt',
        deployment: 'local-gpt',
        tpm: 10_000,
        // 7,000 now less 2,000 a minute before (at 30 s): half of 10,000 TPM.
        quotaUsed: 0.5,
        requests: 4,
        throttled429: 3,
        calls: { ok: 4 },
      },
      { model: 'gpt', deployment: 'none', calls: { paced: 1 } },
    ]);
    expect(overview.modelCalls.lines.ok).toEqual([1 / 30, 1 / 30, 1 / 30]);
    expect(overview.modelCalls.lines['429 (simulator)']).toEqual([0, 0, 0]);
  });

  it('draws stage latency on a one-second grid over the samples, with gaps where a stage ran nothing', () => {
    const overview = buildOverview(
      input([sample(10_400, 0, 0, 0), sample(15_400, 0, 0, 0)], {
        latencyPoints: [
          {
            t: 11_000,
            stages: { persist: { p50: 5, p99: 9, count: 2 }, invoke: { p50: 1, p99: 2, count: 3 } },
          },
          { t: 13_000, stages: { invoke: { p50: 3, p99: 4, count: 1 } } },
        ],
      }),
    );
    expect(overview.latency).toEqual({
      // To 14 s: the second before the last sample's, the newest the sampler can have closed.
      t: [10, 11, 12, 13, 14],
      lines: {
        'invoke p50': [null, 1, null, 3, null],
        'invoke p99': [null, 2, null, 4, null],
        'persist p50': [null, 5, null, null, null],
        'persist p99': [null, 9, null, null, null],
      },
    });
  });
});
