/**
 * The dashboard's SDK registration against the real global API: what the platform records through
 * shared/telemetry reaches the stores, and after an uninstall (a stack closed) a new install (the next
 * stack in the same process) receives again. telemetry-conflict.test.ts has an SDK registered first.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { installDashboardTelemetry } from '../../../local/dashboard/telemetry.js';
import { recordJobAccepted, recordJobFinished } from '../../../shared/telemetry/metrics.js';
import { inSpan } from '../../../shared/telemetry/tracing.js';

const stage = (name: string) =>
  inSpan(`process ${name}`, { kind: SpanKind.CONSUMER, attributes: { 'job.id': 'job_t' } }, () =>
    inSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT }, () => Promise.resolve()),
  );

describe("the dashboard's telemetry", () => {
  it("receives the platform's spans, nested through the context manager, and its metrics", async () => {
    const telemetry = await installDashboardTelemetry();
    try {
      await stage('invoke');
      recordJobAccepted('t-1', 'http');
      recordJobFinished('t-1', 'succeeded');
      const [job] = telemetry.traces.recent(10);
      expect(job).toMatchObject({ jobId: 'job_t', stages: ['invoke'], spans: 2 });
      const spans = telemetry.traces.trace(job!.traceId)!.spanList;
      expect(spans.find((span) => span.name === 'chat gpt-4o-mini')!.parentSpanId).toBe(
        spans.find((span) => span.name === 'process invoke')!.spanId,
      );
      expect(await telemetry.metrics.read()).toMatchObject({ accepted: 1, finished: { succeeded: 1 } });
      // The stage span also went to the latency recorder.
      const points = telemetry.latency.close(Date.now() + 2_000);
      expect(points.flatMap((point) => Object.keys(point.stages))).toEqual(['invoke']);
    } finally {
      await telemetry.uninstall();
    }
    // Unregistered: the API is a no-op again, and nothing reaches the stores.
    expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false);
  });

  it('installs again after an uninstall, and the new stores receive', async () => {
    const telemetry = await installDashboardTelemetry();
    try {
      await stage('persist');
      expect(telemetry.traces.recent(10).map((job) => job.stages)).toEqual([['persist']]);
    } finally {
      await telemetry.uninstall();
    }
  });
});
