/**
 * Model quota benchmark: the same job load at 3x a simulated deployment's quota for a fixed
 * window, run (a) through our model layer with the pipeline's reschedule-on-pace behaviour and (b) through
 * the plain `openai` SDK with its default retries, at the same concurrency, each against its own
 * simulator in this one process. Time is compressed: the simulator and the pacer count tokens and
 * requests over short windows (default 3 s) instead of a minute and 10 s, so a short run covers many windows.
 *
 * What it simulates (see docs/model-layer.md): Service Bus is replaced by an in-process FIFO queue; a
 * job's paced or retried call becomes a timer that puts the job back at the end of the queue after the
 * delay, which is what a scheduled message does. Message settlement costs and lock renewals are not modelled.
 *
 *   npm run build && node dist/bench/model-quota.js
 * Environment: BENCH_MODEL_WINDOWS (4 measured windows), BENCH_MODEL_WINDOW_MS (3000), BENCH_MODEL_TPM (360000),
 * BENCH_MODEL_CONCURRENCY (16), BENCH_MODEL_LOAD_FACTOR (3).
 */
import { pathToFileURL } from 'node:url';
import { AzureOpenAI } from 'openai';
import {
  startModelSimulator,
  type DeploymentStats,
  type ModelSimulator,
} from '../local/model-simulator/index.js';
import type { ChatRequest } from '../shared/jobs/schema.js';
import { decideModelRetry } from '../shared/model/attempt-policy.js';
import { quotaCost } from '../shared/model/tokens.js';
import { benchModelClient, benchSimulatorOptions } from './lib/bench-model.js';

export interface BenchmarkRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

interface Settings {
  /** Measured windows after the one warm-up window: the run lasts (1 + windows) x windowMs. */
  readonly windows: number;
  readonly windowMs: number;
  readonly tpm: number;
  readonly concurrency: number;
  readonly loadFactor: number;
  readonly maxTokens: number;
}

function settingsFromEnv(): Settings {
  const number = (name: string, fallback: number): number => {
    const value = Number(process.env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    windows: number('BENCH_MODEL_WINDOWS', 4),
    windowMs: number('BENCH_MODEL_WINDOW_MS', 3_000),
    tpm: number('BENCH_MODEL_TPM', 360_000),
    concurrency: number('BENCH_MODEL_CONCURRENCY', 16),
    loadFactor: number('BENCH_MODEL_LOAD_FACTOR', 3),
    maxTokens: 200,
  };
}

interface Job {
  readonly id: number;
  readonly request: ChatRequest;
  attempt: number;
}

const TOPICS = [
  'invoices',
  'support tickets',
  'release notes',
  'meeting minutes',
  'contracts',
  'incident reports',
];

/** Deterministic prompts of varied length, so quota cost varies per job as it does in real traffic. */
function makeJob(id: number, maxTokens: number): Job {
  const topic = TOPICS[id % TOPICS.length]!;
  const detail = ' Keep names, dates and amounts exactly as written.'.repeat(1 + (id % 4));
  return {
    id,
    attempt: 0,
    request: {
      model: 'bench',
      messages: [
        { role: 'system', content: `You summarise ${topic} for busy readers.${detail}` },
        { role: 'user', content: `Summarise document ${id} about ${topic} in three bullet points.` },
      ],
      max_tokens: maxTokens,
    },
  };
}

/** A FIFO work queue with waiting consumers: the in-process stand-in for a Service Bus queue. */
class WorkQueue {
  private readonly items: Job[] = [];
  private readonly waiters: Array<(job: Job | undefined) => void> = [];
  private closed = false;

  push(job: Job): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(job);
    else this.items.push(job);
  }

  take(): Promise<Job | undefined> {
    const job = this.items.shift();
    if (job || this.closed) return Promise.resolve(job);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): number {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    return this.items.splice(0).length;
  }
}

interface PathResult {
  readonly stats: DeploymentStats;
  /** Quota charged for requests admitted after the warm-up window, until the end of the run. */
  readonly acceptedTokens: number;
  /** Time-averaged share of the token window in use over the measured period, 0..1. */
  readonly occupancy: number;
  readonly completed: number;
  readonly failed: number;
  readonly unfinished: number;
  readonly reschedules: number;
  readonly arrived: number;
}

/** Producers submit at `loadFactor` x the quota, evenly over the window. */
function startArrivals(settings: Settings, queue: WorkQueue, onArrive: () => void): () => void {
  const sample = makeJob(0, settings.maxTokens);
  let averageCost = 0;
  for (let i = 0; i < 12; i += 1)
    averageCost += quotaCost(makeJob(i, settings.maxTokens).request, settings.maxTokens) / 12;
  void sample;
  const jobsPerMs = (settings.loadFactor * settings.tpm) / 60_000 / averageCost;
  const started = Date.now();
  let next = 0;
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - started) * jobsPerMs);
    while (next < due) {
      queue.push(makeJob(next, settings.maxTokens));
      next += 1;
      onArrive();
    }
  }, 10);
  return () => clearInterval(timer);
}

async function runOurs(settings: Settings): Promise<PathResult> {
  const simulator = await startModelSimulator(benchSimulatorOptions(settings));
  const client = benchModelClient(simulator.url, settings);
  const queue = new WorkQueue();
  let completed = 0;
  let failed = 0;
  let reschedules = 0;
  let arrived = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const startedAt = Date.now();
  const deadlineAt = startedAt + 24 * 3_600_000;

  const worker = async (): Promise<void> => {
    for (;;) {
      const job = await queue.take();
      if (!job) return;
      try {
        await client.complete(job.request, {
          jobId: String(job.id),
          tenantId: 'bench',
          attempt: job.attempt,
        });
        if (!stopped) completed += 1;
      } catch (error) {
        // What the invoke stage does: a retry becomes a scheduled message, the worker moves on at once.
        const decision = decideModelRetry(error, {
          attempt: job.attempt,
          maxAttempts: 8,
          deadlineAt,
          now: Date.now(),
        });
        if (decision.kind === 'fail') {
          failed += 1;
          continue;
        }
        reschedules += 1;
        job.attempt = decision.nextAttempt;
        const timer = setTimeout(() => {
          timers.delete(timer);
          queue.push(job);
        }, decision.delayMs);
        timers.add(timer);
      }
    }
  };

  simulator.resetStats();
  const stopArrivals = startArrivals(settings, queue, () => (arrived += 1));
  const workers = Array.from({ length: settings.concurrency }, () => worker());
  // BENCH_MODEL_TRACE=1 prints the pacer's view next to the simulator's every 500 ms.
  let lastCharged = 0;
  const trace = process.env['BENCH_MODEL_TRACE']
    ? setInterval(() => {
        const totals = simulator.stats().totals;
        const status = client.status()[0];
        console.log(
          JSON.stringify({
            t: Date.now() - startedAt,
            charged: totals.chargedTokens - lastCharged,
            serverUsed: simulator.occupancy().usedTokens,
            throttled: totals.throttled,
            pacerUsed: status?.usedTokens,
            cooldownMs: status?.cooldownMs,
            factor: status?.adaptiveFactor,
            external: status?.externalTokens,
            marginMs: status?.marginMs,
            timers: timers.size,
          }),
        );
        lastCharged = totals.chargedTokens;
      }, 500)
    : undefined;
  const { stats, acceptedTokens, occupancy } = await measure(simulator, settings);
  clearInterval(trace);
  stopped = true;
  stopArrivals();
  for (const timer of timers) clearTimeout(timer);
  const unfinished = queue.close() + timers.size;
  await Promise.all(workers);
  await simulator.close();
  return { stats, acceptedTokens, occupancy, completed, failed, unfinished, reschedules, arrived };
}

async function runPlainSdk(settings: Settings): Promise<PathResult> {
  const simulator = await startModelSimulator(benchSimulatorOptions(settings));
  // The typical integration: default maxRetries (2), default timeout; the SDK sleeps on retry-after.
  const client = new AzureOpenAI({
    endpoint: simulator.url,
    apiKey: 'bench-key',
    apiVersion: '2024-10-21',
    deployment: 'bench',
  });
  const queue = new WorkQueue();
  // Each call's own signal ends it (or the SDK's retry sleep) at the end of the run.
  const inFlight = new Set<AbortController>();
  let completed = 0;
  let failed = 0;
  let arrived = 0;
  let unfinished = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      const job = await queue.take();
      if (!job) return;
      const abort = new AbortController();
      inFlight.add(abort);
      try {
        await client.chat.completions.create(
          { model: 'bench', messages: job.request.messages, max_tokens: settings.maxTokens },
          { signal: abort.signal },
        );
        completed += 1;
      } catch {
        // After the SDK's own retries: in a typical pipeline this job now fails (or dead-letters).
        if (abort.signal.aborted) unfinished += 1;
        else failed += 1;
      } finally {
        inFlight.delete(abort);
      }
    }
  };

  simulator.resetStats();
  const stopArrivals = startArrivals(settings, queue, () => (arrived += 1));
  const workers = Array.from({ length: settings.concurrency }, () => worker());
  const { stats, acceptedTokens, occupancy } = await measure(simulator, settings);
  stopArrivals();
  unfinished += queue.close();
  for (const abort of inFlight) abort.abort();
  await Promise.all(workers);
  await simulator.close();
  return { stats, acceptedTokens, occupancy, completed, failed, unfinished, reschedules: 0, arrived };
}

/**
 * The first window is warm-up: it starts empty, so any client can burst a whole window into it.
 * Afterwards the quota in use (tokens counted in the simulator's sliding window) is sampled every 20 ms
 * and averaged over time. Each accepted request occupies the window for exactly one window length, so
 * this average over the budget equals accepted tokens / (quota x time), with each request counted for
 * the part of its window inside the measured period. Counting whole requests instead would swing with
 * where the bursts a sliding window admits fall relative to the end of the run; that figure is reported
 * too, as "edge-sensitive".
 */
async function measure(
  simulator: ModelSimulator,
  settings: Settings,
): Promise<{ stats: DeploymentStats; acceptedTokens: number; occupancy: number }> {
  await sleep(settings.windowMs);
  const warm = simulator.stats().totals.chargedTokens;
  let weighted = 0;
  let elapsed = 0;
  let last = Date.now();
  const sampler = setInterval(() => {
    const now = Date.now();
    const { usedTokens, tokenBudget } = simulator.occupancy();
    weighted += (Math.min(usedTokens, tokenBudget) / tokenBudget) * (now - last);
    elapsed += now - last;
    last = now;
  }, 20);
  await sleep(settings.windowMs * settings.windows);
  clearInterval(sampler);
  const stats = simulator.stats().totals;
  return {
    stats,
    acceptedTokens: stats.chargedTokens - warm,
    occupancy: elapsed === 0 ? 0 : weighted / elapsed,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function rowsFor(label: string, result: PathResult, settings: Settings, targets: boolean): BenchmarkRow[] {
  const capacity = (settings.tpm * settings.windowMs * settings.windows) / 60_000;
  const share = (part: number, whole: number): number =>
    whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
  const t = (target: string): { target?: string } => (targets ? { target } : {});
  return [
    {
      metric: `${label}: quota used (accepted tokens / quota x time, time-averaged window occupancy)`,
      value: Math.round(result.occupancy * 1000) / 10,
      unit: '%',
      ...t('>= 95'),
    },
    {
      metric: `${label}: accepted tokens in the measured period / quota x time (edge-sensitive)`,
      value: share(result.acceptedTokens, capacity),
      unit: '%',
    },
    { metric: `${label}: failed jobs`, value: result.failed, unit: 'jobs', ...t('0') },
    {
      metric: `${label}: calls answered 429`,
      value: share(result.stats.throttled, result.stats.requests),
      unit: '%',
      ...t('<= 5'),
    },
    { metric: `${label}: jobs completed in the window`, value: result.completed, unit: 'jobs' },
    {
      metric: `${label}: jobs still queued or scheduled (not failed)`,
      value: result.unfinished,
      unit: 'jobs',
    },
    { metric: `${label}: HTTP calls to the model`, value: result.stats.requests, unit: 'calls' },
    { metric: `${label}: paced or retried reschedules`, value: result.reschedules, unit: 'messages' },
    { metric: `${label}: jobs submitted`, value: result.arrived, unit: 'jobs' },
  ];
}

export async function runModelQuotaBenchmark(
  overrides: Partial<Settings> = {},
): Promise<{ rows: BenchmarkRow[] }> {
  const settings = { ...settingsFromEnv(), ...overrides };
  // One after the other so the two paths do not compete for the same two cores.
  const ours = await runOurs(settings);
  const plain = process.env['BENCH_MODEL_ONLY_OURS'] ? ours : await runPlainSdk(settings);
  return {
    rows: [
      { metric: 'setup: simulated TPM', value: settings.tpm, unit: 'tokens/min' },
      { metric: 'setup: quota window (tokens and requests)', value: settings.windowMs, unit: 'ms' },
      {
        metric: 'setup: measured time per path (after one warm-up window)',
        value: settings.windowMs * settings.windows,
        unit: 'ms',
      },
      { metric: 'setup: load', value: settings.loadFactor, unit: 'x quota' },
      { metric: 'setup: concurrency', value: settings.concurrency, unit: 'calls' },
      ...rowsFor('ours', ours, settings, true),
      ...rowsFor('plain SDK', plain, settings, false),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await runModelQuotaBenchmark();
  const width = Math.max(...rows.map((r) => r.metric.length));
  for (const row of rows) {
    console.log(
      `${row.metric.padEnd(width)}  ${String(row.value).padStart(9)} ${row.unit}${row.target ? `  (target ${row.target})` : ''}`,
    );
  }
}
