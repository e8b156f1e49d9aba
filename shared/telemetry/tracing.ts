/**
 * Spans through the OpenTelemetry API. Without a registered SDK (tests that do not ask for one, the local
 * stack) every call here is a no-op costing an object or two; with one (Azure Monitor in Azure, the
 * in-memory exporters in tests) a job is one trace: the HTTP request or intake message, each stage, and
 * the dependencies under them.
 *
 * Across Service Bus hops the parent is the W3C `traceparent` application property, or `Diagnostic-Id`,
 * which the Azure SDKs write (and real Service Bus may hand over in another casing).
 */
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  continueOrStartTrace,
  formatTraceparent,
  parseTraceparent,
  type TraceContext,
} from './trace-context.js';

export { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';

let current: { readonly provider: TracerProvider; readonly tracer: Tracer } | undefined;

/**
 * The tracer for the platform's own spans, from the provider registered now. Not a tracer taken once at
 * import: the Azure Monitor distro loads after the handlers and replaces the global provider (its
 * `trace.disable()` drops the proxy an earlier `getTracer` returned), so a tracer held from before would
 * record nothing in Azure.
 */
export function platformTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (current?.provider !== provider) current = { provider, tracer: provider.getTracer('prompt-pipeline') };
  return current.tracer;
}

const TRACE_PROPERTIES = ['traceparent', 'diagnostic-id'];

/** The `traceparent` of a message's application properties, matched without regard to case. */
export function traceparentOfProperties(properties: Readonly<Record<string, unknown>>): string | undefined {
  for (const wanted of TRACE_PROPERTIES) {
    for (const [name, value] of Object.entries(properties)) {
      if (name.toLowerCase() === wanted && parseTraceparent(value)) return value as string;
    }
  }
  return undefined;
}

/**
 * The context a stage's span starts in. When the host already runs this invocation in a span of the same
 * trace (Functions in OpenTelemetry mode parents its own span on the message), ours goes under it;
 * otherwise under the sender's span named by `traceparent`.
 */
export function parentContext(traceparent: string | undefined): Context {
  const active = context.active();
  const remote = parseTraceparent(traceparent);
  const current = trace.getSpanContext(active);
  if (!remote) return current && isSpanContextValid(current) ? active : ROOT_CONTEXT;
  if (current && isSpanContextValid(current) && current.traceId === remote.traceId) return active;
  return trace.setSpanContext(active, {
    traceId: remote.traceId,
    spanId: remote.spanId,
    traceFlags: remote.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

/**
 * The trace context a use case should carry on: the span's own when an SDK made one, else the older
 * behaviour (a child id of the caller's traceparent, or a new trace) so ids still travel without an SDK.
 */
export function traceContextOf(span: Span, traceparent: string | undefined): TraceContext {
  const own = span.spanContext();
  const parent = parseTraceparent(traceparent);
  if (isSpanContextValid(own) && own.spanId !== parent?.spanId) {
    return {
      traceId: own.traceId,
      spanId: own.spanId,
      sampled: isSampled(own),
    };
  }
  return continueOrStartTrace(traceparent);
}

/** A span's own `traceparent`, when it has a valid context (an SDK made it, or it carries a remote parent). */
export function formatTraceparentOf(span: Span): string | undefined {
  const own = span.spanContext();
  if (!isSpanContextValid(own)) return undefined;
  return formatTraceparent({
    traceId: own.traceId,
    spanId: own.spanId,
    sampled: isSampled(own),
  });
}

/** The `traceparent` of the active span, for an outgoing request or message; undefined without one. */
export function activeTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  return span ? formatTraceparentOf(span) : undefined;
}

export interface SpanOptions {
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  /** Where the span starts; the active context by default. */
  readonly parent?: Context;
}

/**
 * Runs `work` inside a new active span and ends it: an exception marks it as an error (and is rethrown),
 * so callers only add what they learn along the way.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = platformTracer().startSpan(
    name,
    { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function isSampled(spanContext: SpanContext): boolean {
  // Trace flags are a bit field; bit 0 is "sampled" (W3C Trace Context).
  return (spanContext.traceFlags & 1) === 1;
}

export function markFailed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const name = error instanceof Error ? error.name : 'Error';
  span.setAttribute('error.type', name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
}

/**
 * Runs `work` as the root of a trace of its own (a batch item is a job like any other: its stages must
 * not hang under the request that carried a hundred of them), linked to the active span so the request
 * still finds it. `work` gets the trace context to carry; without an SDK, a new trace id.
 */
export async function inNewTrace<T>(name: string, work: (trace: TraceContext) => Promise<T>): Promise<T> {
  const origin = trace.getSpanContext(context.active());
  const span = platformTracer().startSpan(
    name,
    { ...(origin && isSpanContextValid(origin) ? { links: [{ context: origin }] } : {}) },
    ROOT_CONTEXT,
  );
  try {
    return await context.with(trace.setSpan(ROOT_CONTEXT, span), () => work(traceContextOf(span, undefined)));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}
