/**
 * The overview the page polls, computed from the sampler's ring buffers and the trace store: rates are
 * differences between consecutive cumulative samples, quota use is the simulator's charged tokens over
 * the last minute against the deployment's TPM. Pure, so the unit tests feed it samples directly.
 */
import type { DeploymentView, JobSummary, Overview, QueueView, SeriesView } from './api-types.js';
import type { Sample } from './sampler.js';
import type { LatencyPoint } from './stage-latency.js';

/** A deployment the stack configured: the pipeline's name for it and the simulator's. */
export interface DeploymentConfig {
  readonly model: string;
  readonly deployment: string;
  readonly simulatorName: string;
  readonly tpm: number;
}

export interface OverviewInput {
  readonly now: number;
  readonly intervalMs: number;
  readonly samples: readonly Sample[];
  readonly latencyPoints: readonly LatencyPoint[];
  /** The latency points' bucket width; 1 s by default. */
  readonly latencyBucketMs?: number;
  readonly deployments: readonly DeploymentConfig[];
  readonly recentJobs: readonly JobSummary[];
  readonly traces: { readonly held: number; readonly capacity: number };
}

/** The pipeline's stages in order; other queues (intake, ...) follow by name. */
export const STAGE_ORDER = ['invoke', 'postprocess', 'persist', 'deliver'];
const QUOTA_WINDOW_MS = 60_000;
const CALL_OUTCOMES = ['ok', 'throttled', 'failed', 'failed_over', 'paced', 'circuit_open'];

const sum = (values: Readonly<Record<string, number>>): number =>
  Object.values(values).reduce((total, value) => total + value, 0);

function ordered(names: Iterable<string>): string[] {
  const rank = (name: string) => {
    const index = STAGE_ORDER.indexOf(name);
    return index === -1 ? STAGE_ORDER.length : index;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Per-second rates of `value` between consecutive samples, one point per sample after the first. */
function rates(samples: readonly Sample[], lines: Readonly<Record<string, (sample: Sample) => number>>) {
  const t: number[] = [];
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(lines).map((name) => [name, []]));
  for (let i = 1; i < samples.length; i += 1) {
    const previous = samples[i - 1]!;
    const current = samples[i]!;
    const seconds = (current.t - previous.t) / 1000;
    if (seconds <= 0) continue;
    t.push(current.t / 1000);
    for (const [name, read] of Object.entries(lines)) {
      // A counter never goes down; a negative difference would only be a restart of the stores.
      out[name]!.push(Math.max(0, (read(current) - read(previous)) / seconds));
    }
  }
  return { t, lines: out };
}

function callsByOutcome(sample: Sample, outcome: string): number {
  let total = 0;
  for (const byDeployment of Object.values(sample.totals.modelCalls)) {
    for (const outcomes of Object.values(byDeployment)) total += outcomes[outcome] ?? 0;
  }
  return total;
}

function statuses(last: Sample | undefined): Record<string, number> {
  if (!last) return { queued: 0 };
  const finished = last.totals.finished;
  return { queued: Math.max(0, last.totals.accepted - sum(finished)), ...finished };
}

/**
 * One point per second from the first sample (or latency point) to the last closable second, null where a
 * stage ran no span: the panel shares the other panels' time line, and a quiet second is a gap, not a
 * line drawn across it.
 */
function latencySeries(points: readonly LatencyPoint[], samples: readonly Sample[], bucketMs: number) {
  const stages = ordered(points.flatMap((point) => Object.keys(point.stages)));
  const last = points.at(-1);
  if (!last) return { t: [], lines: {} };
  const floor = (ms: number) => Math.floor(ms / bucketMs) * bucketMs;
  const from = floor(Math.min(samples[0]?.t ?? Infinity, points[0]!.t));
  // Up to the second before the last sample's (the newest that can be closed), so a quiet spell shows.
  const lastSample = samples.at(-1);
  const to = Math.max(last.t, lastSample ? floor(lastSample.t) - bucketMs : -Infinity);
  const byTime = new Map(points.map((point) => [point.t, point]));
  const t: number[] = [];
  const lines: Record<string, Array<number | null>> = {};
  for (const stage of stages) {
    lines[`${stage} p50`] = [];
    lines[`${stage} p99`] = [];
  }
  for (let time = from; time <= to; time += bucketMs) {
    t.push(time / 1000);
    const point = byTime.get(time);
    for (const stage of stages) {
      lines[`${stage} p50`]!.push(point?.stages[stage]?.p50 ?? null);
      lines[`${stage} p99`]!.push(point?.stages[stage]?.p99 ?? null);
    }
  }
  return { t, lines };
}

function queueViews(last: Sample | undefined): QueueView[] {
  if (!last) return [];
  return ordered(Object.keys(last.queues)).map((name) => {
    const counts = last.queues[name]!;
    return {
      name,
      active: counts.active,
      scheduled: counts.scheduled,
      locked: counts.locked,
      deadLettered: counts.deadLettered,
    };
  });
}

function deploymentViews(input: OverviewInput): DeploymentView[] {
  const last = input.samples.at(-1);
  // The newest sample at least a minute older than the last, else the oldest: quota over what we have.
  const windowStart =
    [...input.samples].reverse().find((sample) => last && sample.t <= last.t - QUOTA_WINDOW_MS) ??
    input.samples[0];
  const views: DeploymentView[] = [];
  const seen = new Set<string>();
  for (const config of input.deployments) {
    const now = last?.deployments[config.simulatorName];
    const then = windowStart?.deployments[config.simulatorName];
    seen.add(`${config.model}/${config.deployment}`);
    views.push({
      model: config.model,
      deployment: config.deployment,
      tpm: config.tpm,
      ...(now
        ? {
            quotaUsed: (now.chargedTokens - (then?.chargedTokens ?? 0)) / config.tpm,
            requests: now.requests,
            throttled429: now.throttled,
          }
        : {}),
      calls: last?.totals.modelCalls[config.model]?.[config.deployment] ?? {},
    });
  }
  // Calls on deployments the stack did not configure, and calls paced before any try (`none`).
  for (const [model, byDeployment] of Object.entries(last?.totals.modelCalls ?? {})) {
    for (const [deployment, calls] of Object.entries(byDeployment)) {
      if (!seen.has(`${model}/${deployment}`)) views.push({ model, deployment, calls });
    }
  }
  return views;
}

export function buildOverview(input: OverviewInput): Overview {
  const { samples } = input;
  const last = samples.at(-1);
  const throughput = rates(samples, {
    accepted: (sample) => sample.totals.accepted,
    finished: (sample) => sum(sample.totals.finished),
  });
  const queueNames = ordered(samples.flatMap((sample) => Object.keys(sample.queues)));
  const queueDepth: SeriesView = {
    t: samples.map((sample) => sample.t / 1000),
    lines: Object.fromEntries(
      queueNames.map((name) => [name, samples.map((sample) => sample.queues[name]?.active ?? null)]),
    ),
  };
  const modelCalls = rates(samples, {
    ...Object.fromEntries(
      CALL_OUTCOMES.map((outcome) => [outcome, (sample: Sample) => callsByOutcome(sample, outcome)]),
    ),
    '429 (simulator)': (sample) =>
      Object.values(sample.deployments).reduce((total, counters) => total + counters.throttled, 0),
  });
  return {
    now: input.now,
    intervalSeconds: input.intervalMs / 1000,
    throughput,
    statuses: statuses(last),
    latency: latencySeries(input.latencyPoints, samples, input.latencyBucketMs ?? 1_000),
    queueDepth,
    queues: queueViews(last),
    modelCalls,
    deployments: deploymentViews(input),
    recentJobs: input.recentJobs,
    traces: input.traces,
  };
}
