/**
 * Recent spans grouped by trace (one trace is one job), for the recent-jobs list, the search by job id
 * and the waterfall. Bounded twice: at most `maxTraces` traces, the least recently active evicted first
 * (a job still moving stays), and at most `maxSpansPerTrace` spans each (a job retried for hours would
 * otherwise grow without end). Spans keep their primitive attributes only, few and short: spans carry
 * ids and statuses, never prompt text (docs/observability.md), and the cap keeps a soak's memory flat.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { JobSummary, SpanKindName, SpanView, TraceView } from './api-types.js';

export interface TraceStoreLimits {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
}

export const DEFAULT_TRACE_LIMITS: TraceStoreLimits = { maxTraces: 2_000, maxSpansPerTrace: 200 };

const MAX_ATTRIBUTES = 24;
const MAX_STRING = 160;
const STAGE_SPAN = /^process (.+)$/;

const KIND_NAMES: Readonly<Record<SpanKind, SpanKindName>> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

interface TraceEntry {
  readonly traceId: string;
  jobId?: string;
  tenantId?: string;
  startMs: number;
  endMs: number;
  readonly stages: string[];
  readonly spans: SpanView[];
  droppedSpans: number;
  error: boolean;
}

/** A stage span (`process <queue>`) as the latency panel wants it. */
export interface StageTiming {
  readonly stage: string;
  readonly endMs: number;
  readonly durationMs: number;
}

export const toMs = (time: readonly [number, number]): number => time[0] * 1000 + time[1] / 1e6;

/** The stage a span times, when it is a queue trigger's consumer span. */
export function stageTiming(span: ReadableSpan): StageTiming | undefined {
  if (span.kind !== SpanKind.CONSUMER) return undefined;
  const stage = STAGE_SPAN.exec(span.name)?.[1];
  if (!stage) return undefined;
  return { stage, endMs: toMs(span.endTime), durationMs: toMs(span.duration) };
}

export class TraceStore {
  // A Map iterates in insertion order; re-inserting a trace on each span makes it least-recently-active first.
  private readonly traces = new Map<string, TraceEntry>();

  constructor(readonly limits: TraceStoreLimits = DEFAULT_TRACE_LIMITS) {}

  get size(): number {
    return this.traces.size;
  }

  add(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let entry = this.traces.get(traceId);
    if (entry) {
      this.traces.delete(traceId);
    } else {
      entry = { traceId, startMs: Infinity, endMs: 0, stages: [], spans: [], droppedSpans: 0, error: false };
      this.evictOldest();
    }
    this.traces.set(traceId, entry);
    const view = toView(span);
    entry.startMs = Math.min(entry.startMs, view.startMs);
    entry.endMs = Math.max(entry.endMs, view.startMs + view.durationMs);
    if (view.error) entry.error = true;
    const jobId = view.attributes['job.id'];
    if (typeof jobId === 'string') entry.jobId ??= jobId;
    const tenantId = view.attributes['tenant.id'];
    if (typeof tenantId === 'string') entry.tenantId ??= tenantId;
    const stage = stageTiming(span)?.stage;
    if (stage && !entry.stages.includes(stage)) entry.stages.push(stage);
    if (entry.spans.length < this.limits.maxSpansPerTrace) entry.spans.push(view);
    else entry.droppedSpans += 1;
  }

  /**
   * Jobs newest first (by their latest span); with `query`, those whose job id or trace id contains it
   * (case-insensitive). Traces without a job id (a health probe, a refused request) are left out.
   */
  recent(limit: number, query = ''): JobSummary[] {
    const needle = query.trim().toLowerCase();
    const out: JobSummary[] = [];
    const entries = [...this.traces.values()];
    for (let i = entries.length - 1; i >= 0 && out.length < limit; i -= 1) {
      const entry = entries[i]!;
      if (!entry.jobId) continue;
      if (needle && !entry.jobId.toLowerCase().includes(needle) && !entry.traceId.includes(needle)) continue;
      out.push(summary(entry));
    }
    return out;
  }

  trace(traceId: string): TraceView | undefined {
    const entry = this.traces.get(traceId);
    if (!entry) return undefined;
    const spanList = [...entry.spans].sort((a, b) => a.startMs - b.startMs);
    return { ...summary(entry), spanList, droppedSpans: entry.droppedSpans };
  }

  /** Makes room for one more trace. */
  private evictOldest(): void {
    while (this.traces.size >= this.limits.maxTraces) {
      const oldest = this.traces.keys().next();
      if (oldest.done) return;
      this.traces.delete(oldest.value);
    }
  }
}

function summary(entry: TraceEntry): JobSummary {
  return {
    traceId: entry.traceId,
    ...(entry.jobId ? { jobId: entry.jobId } : {}),
    ...(entry.tenantId ? { tenantId: entry.tenantId } : {}),
    startMs: entry.startMs,
    endMs: entry.endMs,
    stages: [...entry.stages],
    spans: entry.spans.length + entry.droppedSpans,
    error: entry.error,
  };
}

function toView(span: ReadableSpan): SpanView {
  const attributes: Record<string, string | number | boolean> = {};
  let kept = 0;
  for (const [key, value] of Object.entries(span.attributes)) {
    if (kept >= MAX_ATTRIBUTES) break;
    if (typeof value === 'string') attributes[key] = value.slice(0, MAX_STRING);
    else if (typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
    else continue;
    kept += 1;
  }
  const failed = span.status.code === SpanStatusCode.ERROR;
  const errorType = span.attributes['error.type'];
  const parentSpanId = span.parentSpanContext?.spanId;
  return {
    spanId: span.spanContext().spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name: span.name.slice(0, MAX_STRING),
    kind: KIND_NAMES[span.kind],
    startMs: toMs(span.startTime),
    durationMs: toMs(span.duration),
    ...(failed
      ? { error: typeof errorType === 'string' ? errorType : (span.status.message ?? 'error') }
      : {}),
    attributes,
  };
}
