/**
 * Real SDK spans for the dashboard's tests: a tracer provider of the test's own (not registered
 * globally) whose spans go through the dashboard's exporter, with parents passed explicitly.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { StageLatency } from '../../../local/dashboard/stage-latency.js';
import { DashboardSpanExporter } from '../../../local/dashboard/telemetry.js';
import { TraceStore, type TraceStoreLimits } from '../../../local/dashboard/trace-store.js';

export interface SpanFactory {
  readonly traces: TraceStore;
  readonly latency: StageLatency;
  /** Starts and ends a span at `startMs` lasting `durationMs`, under `parent` or as a new trace's root. */
  span(
    name: string,
    options: {
      readonly parent?: Span;
      readonly kind?: SpanKind;
      readonly attributes?: Attributes;
      readonly startMs?: number;
      readonly durationMs?: number;
      readonly failed?: string;
    },
  ): Span;
}

export function spanFactory(limits?: TraceStoreLimits): SpanFactory {
  const traces = new TraceStore(limits);
  const latency = new StageLatency({ random: () => 0.5 });
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new DashboardSpanExporter(traces, latency))],
  });
  const tracer = provider.getTracer('dashboard-test');
  return {
    traces,
    latency,
    span(name, options) {
      const startMs = options.startMs ?? Date.now();
      const parent = options.parent ? trace.setSpan(ROOT_CONTEXT, options.parent) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        name,
        {
          kind: options.kind ?? SpanKind.INTERNAL,
          startTime: startMs,
          ...(options.attributes ? { attributes: options.attributes } : {}),
        },
        parent,
      );
      if (options.failed) {
        span.setAttribute('error.type', options.failed);
        span.setStatus({ code: SpanStatusCode.ERROR, message: options.failed });
      }
      span.end(startMs + (options.durationMs ?? 1));
      return span;
    },
  };
}

/** One job as the pipeline traces it: the request, then a consumer span per stage under a send. */
export function job(
  factory: SpanFactory,
  jobId: string,
  options: { readonly startMs?: number; readonly stageMs?: number; readonly tenantId?: string } = {},
): string {
  const startMs = options.startMs ?? Date.now();
  const stageMs = options.stageMs ?? 10;
  const request = factory.span('POST submitJob', { kind: SpanKind.SERVER, startMs, durationMs: 5 });
  let parent = request;
  ['invoke', 'postprocess', 'persist', 'deliver'].forEach((stage, index) => {
    const at = startMs + 10 + index * (stageMs + 5);
    const send = factory.span(`send ${stage}`, { kind: SpanKind.PRODUCER, parent, startMs: at - 2 });
    parent = factory.span(`process ${stage}`, {
      kind: SpanKind.CONSUMER,
      parent: send,
      startMs: at,
      durationMs: stageMs,
      attributes: { 'job.id': jobId, 'tenant.id': options.tenantId ?? 't-1' },
    });
  });
  return request.spanContext().traceId;
}
