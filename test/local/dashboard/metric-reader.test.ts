import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DashboardMetricReader } from '../../../local/dashboard/metric-reader.js';
import { METRIC_NAMES } from '../../../shared/telemetry/metrics.js';

describe("the dashboard's metric reader", () => {
  it('sums the jobs and model calls over the attributes the panels do not show, cumulatively', async () => {
    const reader = new DashboardMetricReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
    const accepted = meter.createCounter(METRIC_NAMES.jobsAccepted);
    const finished = meter.createCounter(METRIC_NAMES.jobsFinished);
    const calls = meter.createCounter(METRIC_NAMES.modelCalls);
    const duration = meter.createHistogram(METRIC_NAMES.stageDuration);
    accepted.add(2, { 'tenant.id': 'a', 'job.source': 'http' });
    accepted.add(1, { 'tenant.id': 'b', 'job.source': 'queue' });
    finished.add(1, { 'tenant.id': 'a', 'job.status': 'succeeded' });
    finished.add(1, { 'tenant.id': 'b', 'job.status': 'succeeded' });
    finished.add(1, { 'tenant.id': 'b', 'job.status': 'failed' });
    const call = (deployment: string, outcome: string) =>
      calls.add(1, {
        'gen_ai.request.model': 'gpt',
        'gen_ai.deployment': deployment,
        'pipeline.outcome': outcome,
      });
    call('east', 'ok');
    call('east', 'ok');
    call('east', 'throttled');
    call('none', 'paced');
    // A histogram is not a total: it is left out.
    duration.record(0.2, { 'pipeline.stage': 'invoke', 'pipeline.outcome': 'completed' });

    expect(await reader.read()).toEqual({
      accepted: 3,
      finished: { succeeded: 2, failed: 1 },
      modelCalls: { gpt: { east: { ok: 2, throttled: 1 }, none: { paced: 1 } } },
    });
    accepted.add(1, { 'tenant.id': 'a', 'job.source': 'http' });
    expect((await reader.read()).accepted).toBe(4);
  });
});
