import { SpanKind, context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeTraceparent,
  inSpan,
  parentContext,
  traceContextOf,
  traceparentOfProperties,
} from '../../../shared/telemetry/tracing.js';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../../fakes/in-memory-telemetry.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE}-00f067aa0ba902b7-01`;

describe('traceparentOfProperties', () => {
  it('reads traceparent, else Diagnostic-Id in any casing (Service Bus may change it)', () => {
    expect(traceparentOfProperties({ traceparent: PARENT })).toBe(PARENT);
    expect(traceparentOfProperties({ 'diagnostic-Id': PARENT })).toBe(PARENT);
    expect(traceparentOfProperties({ 'DIAGNOSTIC-ID': PARENT })).toBe(PARENT);
    expect(traceparentOfProperties({ Traceparent: PARENT, 'Diagnostic-Id': 'x' })).toBe(PARENT);
  });

  it('skips values that are not W3C traceparents', () => {
    expect(traceparentOfProperties({ traceparent: '00-abc', 'Diagnostic-Id': PARENT })).toBe(PARENT);
    expect(traceparentOfProperties({ traceparent: 42 })).toBeUndefined();
    expect(traceparentOfProperties({})).toBeUndefined();
  });
});

describe('without an SDK', () => {
  it('keeps the caller trace id and makes a child id, as before spans existed', async () => {
    await inSpan('x', { kind: SpanKind.INTERNAL, parent: parentContext(PARENT) }, (span) => {
      const carried = traceContextOf(span, PARENT);
      expect(carried.traceId).toBe(TRACE);
      expect(carried.spanId).not.toBe('00f067aa0ba902b7');
      expect(span.isRecording()).toBe(false);
      return Promise.resolve();
    });
  });
});

describe('with the SDK', () => {
  let telemetry: InMemoryTelemetry;
  beforeAll(() => {
    telemetry = installInMemoryTelemetry();
  });
  afterAll(() => telemetry.uninstall());

  it('parents a span on a remote traceparent and hands its own context on', async () => {
    const carried = await inSpan(
      'stage',
      { kind: SpanKind.CONSUMER, parent: parentContext(PARENT) },
      (span) => Promise.resolve({ own: traceContextOf(span, PARENT), header: activeTraceparent() }),
    );
    const [span] = telemetry.spans().filter((s) => s.name === 'stage');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(carried.own).toEqual({ traceId: TRACE, spanId: span?.spanContext().spanId, sampled: true });
    expect(carried.header).toBe(`00-${TRACE}-${span?.spanContext().spanId}-01`);
  });

  it("goes under the host's active span when it is of the same trace, not beside it", async () => {
    const hostSpan = trace.getTracer('host').startSpan('host', {}, parentContext(PARENT));
    await context.with(trace.setSpan(context.active(), hostSpan), () =>
      inSpan('ours', { kind: SpanKind.CONSUMER, parent: parentContext(PARENT) }, () => Promise.resolve()),
    );
    hostSpan.end();
    const [ours] = telemetry.spans().filter((s) => s.name === 'ours');
    expect(ours?.parentSpanContext?.spanId).toBe(hostSpan.spanContext().spanId);
  });

  it('marks a span failed with the error name only (messages may carry data)', async () => {
    await expect(
      inSpan('fails', { kind: SpanKind.INTERNAL }, () => Promise.reject(new TypeError('secret detail'))),
    ).rejects.toThrow(TypeError);
    const [span] = telemetry.spans().filter((s) => s.name === 'fails');
    expect(span?.attributes['error.type']).toBe('TypeError');
    expect(JSON.stringify(span?.status)).not.toContain('secret');
  });
});
