/**
 * A 50,000-job soak through the dashboard's exporter and stores, as `npm start` would see it: whatever
 * the number of jobs, what is held stays under the caps (traces, spans per trace, samples, open
 * latency seconds), so the process's memory does not grow with the run.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_TOTALS } from '../../../local/dashboard/metric-reader.js';
import { Sampler } from '../../../local/dashboard/sampler.js';
import { SpanKind } from '@opentelemetry/api';
import { job, spanFactory } from './spans.js';

const JOBS = 50_000;

describe('the dashboard under a 50k-job soak', () => {
  it('holds at most its caps of traces, spans and samples', { timeout: 120_000 }, async () => {
    const factory = spanFactory({ maxTraces: 2_000, maxSpansPerTrace: 200 });
    let now = Date.UTC(2026, 0, 1);
    const sampler = new Sampler(
      {
        readMetrics: () => Promise.resolve(EMPTY_TOTALS),
        queues: () => ({}),
        deployments: () => ({}),
      },
      factory.latency,
      { capacity: 600, now: () => now },
    );
    // 500 jobs a second of simulated time, sampled each second as the stack does. Each job is a stage
    // span and a dependency under it (a whole job's nine spans would only make the run slower: the
    // per-trace cap has its own test), and every 1,000th one a full job.
    for (let i = 0; i < JOBS; i += 1) {
      const jobId = `job_${i.toString(16).padStart(32, '0')}`;
      if (i % 1_000 === 0) {
        job(factory, jobId, { startMs: now });
      } else {
        const parent = factory.span('process invoke', {
          kind: SpanKind.CONSUMER,
          startMs: now,
          durationMs: 5,
          attributes: { 'job.id': jobId, 'tenant.id': 't-1' },
        });
        factory.span('chat gpt-4o-mini', { kind: SpanKind.CLIENT, parent, startMs: now + 1, durationMs: 3 });
      }
      if (i % 500 === 499) {
        now += 1_000;
        await sampler.tick();
      }
    }
    expect(factory.traces.size).toBe(2_000);
    expect(factory.traces.recent(10_000)).toHaveLength(2_000);
    // The newest job is held; the first was evicted long ago.
    expect(factory.traces.recent(1, (JOBS - 1).toString(16).padStart(32, '0'))).toHaveLength(1);
    expect(factory.traces.recent(1, '0'.repeat(32))).toHaveLength(0);
    expect(sampler.samples.size).toBe(100);
    // Every second but the open one was closed into a point: nothing piles up in the recorder.
    const points = sampler.latencyPoints.toArray();
    expect(points.length).toBeGreaterThanOrEqual(99);
    expect(points.at(-1)!.stages.invoke!.count).toBe(500);
  });
});
