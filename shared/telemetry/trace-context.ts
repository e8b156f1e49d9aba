/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent` = version-traceid-spanid-flags.
 * The trace id travels in every message's application properties and goes back to the caller.
 */
import { randomHex } from './random-hex.js';

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  // The spec makes all-zero ids invalid: start a new trace rather than join a broken one.
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

export function newTrace(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), sampled: true };
}

/** A new span in the same trace: what each stage does before it sends the next message. */
export function childSpan(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: randomHex(8), sampled: parent.sampled };
}

/** Continue the caller's trace when it sent a valid `traceparent`, else start one. */
export function continueOrStartTrace(traceparent: unknown): TraceContext {
  const parent = parseTraceparent(traceparent);
  return parent ? childSpan(parent) : newTrace();
}
