/**
 * One clock for the panels: once a tick it collects the metric totals, the Service Bus emulator's
 * per-queue counts and the model simulator's per-deployment counters, and closes the stage-latency
 * seconds that can no longer change. Each lands in a ring buffer, so ten minutes of history cost the
 * same after fifty thousand jobs as after one.
 */
import type { MetricTotals } from './metric-reader.js';
import { RingBuffer } from './ring-buffer.js';
import type { LatencyPoint, StageLatency } from './stage-latency.js';

export interface QueueCounts {
  readonly active: number;
  readonly scheduled: number;
  readonly locked: number;
  readonly deadLettered: number;
}

export interface DeploymentCounters {
  readonly requests: number;
  readonly throttled: number;
  readonly chargedTokens: number;
}

/** Where a tick reads from; the stack passes its emulators' stats(), tests pass fakes. */
export interface SampleSources {
  readMetrics(): Promise<MetricTotals>;
  queues(): Readonly<Record<string, QueueCounts>>;
  /** By the simulator's deployment name. */
  deployments(): Readonly<Record<string, DeploymentCounters>>;
}

export interface Sample {
  /** Epoch ms. */
  readonly t: number;
  readonly totals: MetricTotals;
  readonly queues: Readonly<Record<string, QueueCounts>>;
  readonly deployments: Readonly<Record<string, DeploymentCounters>>;
}

export interface SamplerOptions {
  readonly intervalMs?: number;
  /** Samples kept: 600 at 1 s is ten minutes. */
  readonly capacity?: number;
  /**
   * How long after a second ends its latency is closed: spans are exported as they end, so a short
   * grace covers a span that ended just before the tick and was handed over just after.
   */
  readonly latencyGraceMs?: number;
  readonly now?: () => number;
}

export class Sampler {
  readonly intervalMs: number;
  readonly samples: RingBuffer<Sample>;
  readonly latencyPoints: RingBuffer<LatencyPoint>;
  private readonly graceMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The last tick's failure (an emulator closing under it), for the overview; cleared by a good tick. */
  lastError: string | undefined;

  constructor(
    private readonly sources: SampleSources,
    private readonly latency: StageLatency,
    options: SamplerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    const capacity = options.capacity ?? 600;
    this.samples = new RingBuffer(capacity);
    this.latencyPoints = new RingBuffer(capacity);
    this.graceMs = options.latencyGraceMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    // The stack's close() stops it; an interval must not keep a test process alive meanwhile.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sample now; a tick still running is awaited instead of overlapping it. */
  tick(): Promise<void> {
    this.running ??= this.sample().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sample(): Promise<void> {
    try {
      const totals = await this.sources.readMetrics();
      const t = this.now();
      this.samples.push({
        t,
        totals,
        queues: this.sources.queues(),
        deployments: this.sources.deployments(),
      });
      for (const point of this.latency.close(t - this.graceMs)) this.latencyPoints.push(point);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
    }
  }
}
