import { describe, expect, it } from 'vitest';
import { EMPTY_TOTALS } from '../../../local/dashboard/metric-reader.js';
import { Sampler, type SampleSources } from '../../../local/dashboard/sampler.js';
import { StageLatency } from '../../../local/dashboard/stage-latency.js';

function sources(overrides: Partial<SampleSources> = {}): SampleSources {
  let accepted = 0;
  return {
    readMetrics: () => Promise.resolve({ ...EMPTY_TOTALS, accepted: (accepted += 1) }),
    queues: () => ({ invoke: { active: accepted, scheduled: 0, locked: 0, deadLettered: 0 } }),
    deployments: () => ({ gpt: { requests: accepted, throttled: 0, chargedTokens: 0 } }),
    ...overrides,
  };
}

describe('the sampler', () => {
  it('samples metrics, queues and deployments together, keeping the newest `capacity` samples', async () => {
    let now = 1_000;
    const sampler = new Sampler(sources(), new StageLatency(), { capacity: 3, now: () => (now += 1_000) });
    for (let i = 0; i < 5; i += 1) await sampler.tick();
    const samples = sampler.samples.toArray();
    expect(samples.map((sample) => sample.t)).toEqual([4_000, 5_000, 6_000]);
    expect(samples.map((sample) => sample.totals.accepted)).toEqual([3, 4, 5]);
    expect(samples[2]!.queues.invoke!.active).toBe(5);
    expect(samples[2]!.deployments.gpt!.requests).toBe(5);
  });

  it('closes the latency seconds that are over, less a grace for spans handed over late', async () => {
    const latency = new StageLatency();
    latency.record({ stage: 'invoke', endMs: 10_100, durationMs: 4 });
    latency.record({ stage: 'invoke', endMs: 11_100, durationMs: 6 });
    // 11.2 s: the second from 10 s ended 200 ms ago, within the grace.
    let now = 11_200;
    const sampler = new Sampler(sources(), latency, { latencyGraceMs: 250, now: () => now });
    await sampler.tick();
    expect(sampler.latencyPoints.size).toBe(0);
    now = 11_300;
    await sampler.tick();
    expect(sampler.latencyPoints.toArray().map((point) => point.t)).toEqual([10_000]);
    now = 12_300;
    await sampler.tick();
    expect(sampler.latencyPoints.toArray().map((point) => point.t)).toEqual([10_000, 11_000]);
  });

  it('records a failed tick (an emulator closing under it) and recovers on the next', async () => {
    let fail = true;
    const sampler = new Sampler(
      sources({
        queues: () => {
          if (fail) throw new Error('Emulator thread did not answer serviceBus.stats');
          return {};
        },
      }),
      new StageLatency(),
    );
    await sampler.tick();
    expect(sampler.lastError).toMatch(/did not answer/);
    expect(sampler.samples.size).toBe(0);
    fail = false;
    await sampler.tick();
    expect(sampler.lastError).toBeUndefined();
    expect(sampler.samples.size).toBe(1);
  });

  it('ticks on its interval once started, and stops', async () => {
    const sampler = new Sampler(sources(), new StageLatency(), { intervalMs: 20 });
    sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await sampler.stop();
    const taken = sampler.samples.size;
    expect(taken).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sampler.samples.size).toBe(taken);
  });
});
