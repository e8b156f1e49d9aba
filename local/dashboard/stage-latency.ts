/**
 * Per-stage p50 and p99 over time from the stage spans: durations are grouped by the second their span
 * ended in, and a second's percentiles are computed once it can no longer receive spans. Each open
 * second keeps at most `maxSamples` durations per stage (a uniform reservoir sample beyond that), so a
 * burst of thousands of jobs a second costs a fixed amount of memory and one small sort.
 */
import type { StageTiming } from './trace-store.js';

export interface StagePercentiles {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
}

export interface LatencyPoint {
  /** Start of the bucket, epoch ms. */
  readonly t: number;
  readonly stages: Readonly<Record<string, StagePercentiles>>;
}

interface Reservoir {
  readonly samples: number[];
  seen: number;
}

export interface StageLatencyOptions {
  readonly bucketMs?: number;
  readonly maxSamples?: number;
  /** For the reservoir; tests pass a seeded one. */
  readonly random?: () => number;
}

export class StageLatency {
  private readonly bucketMs: number;
  private readonly maxSamples: number;
  private readonly random: () => number;
  private readonly open = new Map<number, Map<string, Reservoir>>();
  /** Buckets before this were handed out already; a span that ends there came too late. */
  private closedBefore = -Infinity;
  private late = 0;

  constructor(options: StageLatencyOptions = {}) {
    this.bucketMs = options.bucketMs ?? 1_000;
    this.maxSamples = options.maxSamples ?? 2_048;
    this.random = options.random ?? Math.random;
  }

  /** Spans that ended in a bucket already closed (not counted in any point). */
  get lateSpans(): number {
    return this.late;
  }

  record(timing: StageTiming): void {
    const bucket = Math.floor(timing.endMs / this.bucketMs) * this.bucketMs;
    if (bucket < this.closedBefore) {
      this.late += 1;
      return;
    }
    let stages = this.open.get(bucket);
    if (!stages) this.open.set(bucket, (stages = new Map<string, Reservoir>()));
    let reservoir = stages.get(timing.stage);
    if (!reservoir) stages.set(timing.stage, (reservoir = { samples: [], seen: 0 }));
    reservoir.seen += 1;
    if (reservoir.samples.length < this.maxSamples) {
      reservoir.samples.push(timing.durationMs);
      return;
    }
    // Algorithm R: each of the `seen` durations stays with probability maxSamples / seen.
    const slot = Math.floor(this.random() * reservoir.seen);
    if (slot < this.maxSamples) reservoir.samples[slot] = timing.durationMs;
  }

  /** Closes the buckets that end at or before `beforeMs` and returns their percentiles, oldest first. */
  close(beforeMs: number): LatencyPoint[] {
    const due = [...this.open.keys()].filter((t) => t + this.bucketMs <= beforeMs).sort((a, b) => a - b);
    const points: LatencyPoint[] = [];
    for (const t of due) {
      const stages: Record<string, StagePercentiles> = {};
      for (const [stage, reservoir] of this.open.get(t)!) {
        const sorted = reservoir.samples.sort((a, b) => a - b);
        stages[stage] = {
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          count: reservoir.seen,
        };
      }
      this.open.delete(t);
      points.push({ t, stages });
    }
    const boundary = Math.floor(beforeMs / this.bucketMs) * this.bucketMs;
    this.closedBefore = Math.max(this.closedBefore, boundary);
    return points;
  }
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
