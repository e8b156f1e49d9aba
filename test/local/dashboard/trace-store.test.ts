import { SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { job, spanFactory } from './spans.js';

describe('the trace store', () => {
  it("groups a job's spans by trace, with its job id, tenant, stages in order and parents", () => {
    const factory = spanFactory();
    // Epoch ms: the SDK reads a smaller number as time since the process's time origin.
    const at = Date.UTC(2026, 0, 1);
    const traceId = job(factory, 'job_a', { startMs: at, stageMs: 20 });
    const trace = factory.traces.trace(traceId)!;
    expect(trace).toMatchObject({
      traceId,
      jobId: 'job_a',
      tenantId: 't-1',
      stages: ['invoke', 'postprocess', 'persist', 'deliver'],
      spans: 9,
      error: false,
      startMs: at,
      droppedSpans: 0,
    });
    // The last stage starts at 10 + 3 * 25 ms and lasts 20 ms.
    expect(trace.endMs).toBe(at + 105);
    expect(trace.spanList.map((span) => span.name)).toEqual([
      'POST submitJob',
      'send invoke',
      'process invoke',
      'send postprocess',
      'process postprocess',
      'send persist',
      'process persist',
      'send deliver',
      'process deliver',
    ]);
    const byName = new Map(trace.spanList.map((span) => [span.name, span]));
    expect(byName.get('process invoke')).toMatchObject({
      kind: 'consumer',
      parentSpanId: byName.get('send invoke')!.spanId,
      durationMs: 20,
      attributes: { 'job.id': 'job_a', 'tenant.id': 't-1' },
    });
    expect(byName.get('POST submitJob')!.parentSpanId).toBeUndefined();
  });

  it('marks a trace with a failed span, naming the error type', () => {
    const factory = spanFactory();
    const root = factory.span('process invoke', {
      kind: SpanKind.CONSUMER,
      attributes: { 'job.id': 'job_f' },
      failed: 'RateLimitError',
    });
    const trace = factory.traces.trace(root.spanContext().traceId)!;
    expect(trace.error).toBe(true);
    expect(trace.spanList[0]!.error).toBe('RateLimitError');
  });

  it('lists jobs newest first and finds one by part of its job id or trace id, case-insensitive', () => {
    const factory = spanFactory();
    const first = job(factory, 'job_0001aa');
    job(factory, 'job_0002bb');
    const third = job(factory, 'job_0003cc');
    // A trace without a job (a health probe) is not a job.
    factory.span('GET health', { kind: SpanKind.SERVER });
    expect(factory.traces.recent(10).map((summary) => summary.jobId)).toEqual([
      'job_0003cc',
      'job_0002bb',
      'job_0001aa',
    ]);
    expect(factory.traces.recent(2).map((summary) => summary.traceId)[0]).toBe(third);
    expect(factory.traces.recent(10, '0002BB').map((summary) => summary.jobId)).toEqual(['job_0002bb']);
    expect(factory.traces.recent(10, first.slice(4, 20)).map((summary) => summary.jobId)).toEqual([
      'job_0001aa',
    ]);
    expect(factory.traces.recent(10, 'nope')).toEqual([]);
  });

  it('keeps at most maxTraces traces, evicting the least recently active, and maxSpansPerTrace spans each', () => {
    const factory = spanFactory({ maxTraces: 3, maxSpansPerTrace: 4 });
    const traces = ['job_1', 'job_2', 'job_3'].map((id) => job(factory, id));
    // A late span of the first job makes it the most recently active: job_2 goes first.
    factory.span('late', { parent: spanOf(factory, traces[0]!) });
    job(factory, 'job_4');
    expect(factory.traces.size).toBe(3);
    expect(factory.traces.trace(traces[1]!)).toBeUndefined();
    expect(factory.traces.recent(10).map((summary) => summary.jobId)).toEqual(['job_4', 'job_1', 'job_3']);
    const kept = factory.traces.trace(traces[0]!)!;
    expect(kept.spanList).toHaveLength(4);
    expect(kept.droppedSpans).toBe(6);
    expect(kept.spans).toBe(10);
  });

  it('keeps primitive attributes only, few and short', () => {
    const factory = spanFactory();
    const attributes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`a${i}`, i]));
    const span = factory.span('many', {
      attributes: { long: 'x'.repeat(1_000), list: ['a', 'b'], ...attributes },
    });
    const [view] = factory.traces.trace(span.spanContext().traceId)!.spanList;
    expect(Object.keys(view!.attributes)).toHaveLength(24);
    expect(view!.attributes.long).toHaveLength(160);
    expect(view!.attributes.list).toBeUndefined();
  });
});

/** A parent in that trace: the store groups by trace id, whatever made the parent. */
const spanOf = (factory: ReturnType<typeof spanFactory>, traceId: string) =>
  trace.wrapSpanContext({
    traceId,
    spanId: factory.traces.trace(traceId)!.spanList[0]!.spanId,
    traceFlags: TraceFlags.SAMPLED,
  });
