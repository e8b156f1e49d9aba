/**
 * The JSON the dashboard's endpoints answer with. Types only: the page's script reads them too (through
 * JSDoc, page/tsconfig.json), so the server and the page cannot drift apart.
 */

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface SpanView {
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKindName;
  /** Epoch milliseconds. */
  readonly startMs: number;
  readonly durationMs: number;
  /** The error type (or status message) of a failed span. */
  readonly error?: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

export interface JobSummary {
  readonly traceId: string;
  readonly jobId?: string;
  readonly tenantId?: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Stages seen (`process <stage>` spans), in the order they first ran. */
  readonly stages: readonly string[];
  readonly spans: number;
  readonly error: boolean;
}

export interface TraceView extends JobSummary {
  readonly spanList: readonly SpanView[];
  /** Spans not kept because the trace reached its cap. */
  readonly droppedSpans: number;
}

export interface QueueView {
  readonly name: string;
  readonly active: number;
  readonly scheduled: number;
  readonly locked: number;
  readonly deadLettered: number;
}

export interface DeploymentView {
  readonly model: string;
  /** The pipeline's deployment name (`gen_ai.deployment`); `none` for calls paced before any try. */
  readonly deployment: string;
  readonly tpm?: number;
  /** Quota charged by the simulator over the last minute, as a share of TPM (0-1). */
  readonly quotaUsed?: number;
  /** The simulator's counters since start. */
  readonly requests?: number;
  readonly throttled429?: number;
  /** `pipeline.model.calls` by outcome (ok, throttled, failed, failed_over, paced, circuit_open). */
  readonly calls: Readonly<Record<string, number>>;
}

/** Column-oriented series, as uPlot draws them: `t` in epoch seconds, one array per line. */
export interface SeriesView {
  readonly t: readonly number[];
  readonly lines: Readonly<Record<string, ReadonlyArray<number | null>>>;
}

export interface Overview {
  readonly now: number;
  /** Seconds between samples. */
  readonly intervalSeconds: number;
  /** Jobs accepted and finished per second. */
  readonly throughput: SeriesView;
  /** Jobs by status since start: `queued` is accepted and not finished yet. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Per-stage p50 and p99 (ms) of `process <stage>` spans, lines named `<stage> p50` / `<stage> p99`. */
  readonly latency: SeriesView;
  /** Active messages per queue. */
  readonly queueDepth: SeriesView;
  readonly queues: readonly QueueView[];
  /** Model calls per second by outcome, and the simulator's 429s per second. */
  readonly modelCalls: SeriesView;
  readonly deployments: readonly DeploymentView[];
  readonly recentJobs: readonly JobSummary[];
  /** Traces held for search and waterfalls, and the cap. */
  readonly traces: { readonly held: number; readonly capacity: number };
}
