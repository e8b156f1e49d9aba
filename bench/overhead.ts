/**
 * Overhead: end-to-end latency from accept to persisted result, with a model that answers at
 * once, at a steady offered load (default 100 jobs/s over HTTP from a worker thread), p50/p99 by stage
 * from the timings each job carries (acceptedAt, invokeStartedAt, modelCompletedAt, postprocessedAt,
 * persistedAt; persistedAt is taken just before the terminal write). Baseline, same run: the I/O
 * floor (bench/lib/io-floor.ts) at the same offered load and concurrency.
 *
 * What ran where: the target rows run one Functions host instance, the dev host on the main thread
 * (HTTP, every queue trigger, the functions and their SDK clients), its Service Bus receivers on a
 * listener thread as the Functions host receives outside the worker (bench/lib/pipeline.ts
 * benchQueueListener; BENCH_QUEUE_LISTENER=in-process to compare). The emulators (embedded Cosmos DB,
 * Service Bus, model simulator) run on a worker thread, like the separate services they stand for in
 * Azure; the load generator on another. The same load on the platform scaled out to 2 host instances
 * (local/threads/host-instances.ts: the main thread's and one on a worker thread, competing for the same
 * queues, each with its own services and SDK clients) is measured too and reported as a comparison: on
 * this 2-core machine it measured worse, because the cores are already shared. Per instance: event loop
 * busy share, own CPU per job and share of the stage messages; process CPU per job covers every thread.
 *
 *   npm run build && node dist/bench/overhead.js
 * Environment: BENCH_OVERHEAD_RATE (100 jobs/s), BENCH_OVERHEAD_SECONDS (10), BENCH_OVERHEAD_WARMUP_SECONDS (15:
 * every measurement's fresh stack first runs this long at BENCH_OVERHEAD_RATE, drained and not counted),
 * BENCH_OVERHEAD_LOW_RATE (20 jobs/s, a second load the local stack sustains; at most 6 s),
 * BENCH_OVERHEAD_SWEEP (30,40,60: offered loads in between, pipeline only, 5 s each),
 * BENCH_HOST_INSTANCES (1; 2 = scaled out, the comparison row then shows 1), BENCH_MAIN_FUNCTIONS (all by default; http keeps the queue
 * triggers off the main instance), BENCH_EMULATOR_THREADS (on by default; off, one or each).
 */
import { pathToFileURL } from 'node:url';
import type { JobDocument } from '../shared/jobs/job.js';
import { MAIN_INSTANCE_FUNCTIONS } from '../local/threads/host-instances.js';
import { startIoFloor, type FloorJob } from './lib/io-floor.js';
import { offerLoad } from './lib/load.js';
import { driveOpenLoop } from './lib/open-loop.js';
import {
  benchHostInstances,
  emulatorPlacement,
  instancePlacement,
  JOB_BODY,
  readAllJobs,
  startBenchStack,
  threadCpuMs,
  waitUntil,
} from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';
import { percentile } from './lib/stats.js';

const PART = 'overhead';
const DEFAULT_CONCURRENCY = 16;

export interface OverheadOptions {
  readonly ratePerSecond?: number;
  readonly durationMs?: number;
  readonly warmupMs?: number;
  /** A second, lower offered load (default 20 jobs/s) that the local stack sustains. */
  readonly lowRatePerSecond?: number;
  /** Host instances for the target measurement; BENCH_HOST_INSTANCES (2) by default. */
  readonly layout?: Layout;
}

interface Segments {
  total: number[];
  accept: number[];
  model: number[];
  postprocess: number[];
  persist: number[];
}

function pipelineSegments(jobs: readonly JobDocument[], since: number): Segments {
  const out: Segments = { total: [], accept: [], model: [], postprocess: [], persist: [] };
  for (const job of jobs) {
    const t = job.timings;
    if (!t || t.acceptedAt < since || t.persistedAt === undefined) continue;
    if (
      t.invokeStartedAt === undefined ||
      t.modelCompletedAt === undefined ||
      t.postprocessedAt === undefined
    )
      continue;
    out.total.push(t.persistedAt - t.acceptedAt);
    out.accept.push(t.invokeStartedAt - t.acceptedAt);
    out.model.push(t.modelCompletedAt - t.invokeStartedAt);
    out.postprocess.push(t.postprocessedAt - t.modelCompletedAt);
    out.persist.push(t.persistedAt - t.postprocessedAt);
  }
  return out;
}

function floorSegments(jobs: readonly FloorJob[], since: number): Segments {
  const out: Segments = { total: [], accept: [], model: [], postprocess: [], persist: [] };
  for (const job of jobs) {
    const [hop1, hop2] = job.received;
    if (job.createdAt < since || job.persistedAt === undefined || hop1 === undefined || hop2 === undefined)
      continue;
    out.total.push(job.persistedAt - job.createdAt);
    out.accept.push(hop1 - job.createdAt);
    out.model.push(0);
    // The floor has no model call: hop 1 -> hop 2 is the postprocess hop's I/O.
    out.postprocess.push(hop2 - hop1);
    out.persist.push(job.persistedAt - hop2);
  }
  return out;
}

/** Host instances for one measurement: the stack's `hostInstances` and the main instance's share. */
interface Layout {
  readonly hostInstances: number;
  readonly mainInstanceFunctions?: 'all' | 'http';
}

interface ThreadLoad {
  /** Event loop utilisation over the run, 0..1. */
  readonly utilization: number;
  /** The thread's own CPU per accepted job (Linux per-thread clock); undefined elsewhere. */
  readonly cpuMsPerJob: number | undefined;
  /** Share of the stage messages (invoke, postprocess, persist) this instance ran. */
  readonly stageShare: number;
}

/** Load run on each fresh stack before it is measured, and not counted. */
interface Warmup {
  readonly ms: number;
  readonly ratePerSecond: number;
}

interface Measured {
  /** Per host instance, the main one first: busy share, CPU per job, share of the stage messages. */
  readonly instances: readonly ThreadLoad[];
  /** Every thread of the process (emulators, load generator, V8 helpers too): CPU per job. */
  readonly processCpuMsPerJob: number;
  /** The main instance's queue listener thread (its Service Bus receivers), when it has one. */
  readonly listenerCpuMsPerJob: number | undefined;
  readonly pipeline: Segments;
  readonly floor: Segments;
  readonly posts: {
    p50: number;
    p99: number;
    accepted: number;
    refused: number;
    /** Refused answers by HTTP status, e.g. "429 x2"; status 0 is a network error at the client. */
    refusedStatuses: string;
    achieved: number;
  };
}

/** An HTTP job's hops. No `deliver`: the bench tenant has no webhook endpoints, so persist skips it. */
const STAGE_QUEUES = ['invoke', 'postprocess', 'persist'] as const;

/** The pipeline over HTTP at `rate` with `layout`, then (optionally) the I/O floor at the same rate. */
async function measureAt(
  rate: number,
  durationMs: number,
  warmup: Warmup,
  layout: Layout,
  withFloor = true,
): Promise<Measured> {
  // The pipeline, over HTTP, from a worker thread. The instances' persist invocation counts say when
  // every job is done (persist is its last hop) without polling Cosmos DB during the run.
  let pipeline: Segments;
  let posts: Measured['posts'];
  let instances: ThreadLoad[];
  let processCpuMsPerJob: number;
  let listenerCpuMsPerJob: number | undefined;
  const stack = await startBenchStack(layout);
  const persisted = () =>
    stack.instances().reduce((sum, instance) => sum + (instance.invocations.persist ?? 0), 0);
  try {
    if (warmup.ms > 0) {
      const warm = await offerLoad({
        url: `${stack.apiUrl}/v1/jobs`,
        apiKey: stack.apiKey,
        body: JOB_BODY,
        ratePerSecond: warmup.ratePerSecond,
        durationMs: warmup.ms,
      });
      const warmAccepted = warm.filter((s) => s.status === 202).length;
      await waitUntil(() => persisted() >= warmAccepted, 120_000, 'the warm-up jobs to finish', 50);
    }
    const persistedBefore = persisted();
    const started = Date.now();
    const before = stack.instances().map((instance) => ({
      invocations: instance.invocations,
      eventLoop: instance.eventLoop,
      cpuMs: threadCpuMs(instance.osThreadId),
    }));
    const processBefore = process.cpuUsage();
    const listenerBefore = threadCpuMs(stack.host.queueListenerThreadId);
    const submissions = await offerLoad({
      url: `${stack.apiUrl}/v1/jobs`,
      apiKey: stack.apiKey,
      body: JOB_BODY,
      ratePerSecond: rate,
      durationMs,
    });
    const accepted = submissions.filter((s) => s.status === 202);
    // Accepted per second over the time it took to answer them all, not over the offered window.
    const lastAnswer = Math.max(...submissions.map((s) => s.at + s.latencyMs));
    await waitUntil(
      () => persisted() - persistedBefore >= accepted.length,
      120_000,
      'every accepted job to finish',
      50,
    );
    const processCpu = process.cpuUsage(processBefore);
    const jobs = Math.max(1, accepted.length);
    processCpuMsPerJob = (processCpu.user + processCpu.system) / 1000 / jobs;
    const listenerAfter = threadCpuMs(stack.host.queueListenerThreadId);
    listenerCpuMsPerJob =
      listenerAfter === undefined || listenerBefore === undefined
        ? undefined
        : (listenerAfter - listenerBefore) / jobs;
    const after = stack.instances();
    const stageMessages = (instance: (typeof after)[number], index: number) =>
      STAGE_QUEUES.reduce(
        (sum, queue) => sum + (instance.invocations[queue] ?? 0) - (before[index]?.invocations[queue] ?? 0),
        0,
      );
    const allStageMessages = Math.max(
      1,
      after.reduce((sum, instance, index) => sum + stageMessages(instance, index), 0),
    );
    instances = after.map((instance, index) => {
      const start = before[index];
      const cpuAfter = threadCpuMs(instance.osThreadId);
      return {
        utilization: start
          ? performance.eventLoopUtilization(instance.eventLoop, start.eventLoop).utilization
          : 0,
        cpuMsPerJob:
          cpuAfter === undefined || start?.cpuMs === undefined ? undefined : (cpuAfter - start.cpuMs) / jobs,
        stageShare: stageMessages(instance, index) / allStageMessages,
      };
    });
    const latencies = submissions.map((s) => s.latencyMs);
    posts = {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      accepted: accepted.length,
      refused: submissions.length - accepted.length,
      refusedStatuses: countByStatus(submissions.filter((s) => s.status !== 202)),
      achieved: accepted.length / (Math.max(durationMs, lastAnswer - started) / 1000),
    };
    pipeline = pipelineSegments(await readAllJobs(stack), started);
  } finally {
    await stack.close();
  }

  const measured = { pipeline, posts, instances, processCpuMsPerJob, listenerCpuMsPerJob };
  if (!withFloor) return { ...measured, floor: floorSegments([], 0) };
  // The I/O floor at the same offered load and concurrency.
  const floor = await startIoFloor();
  try {
    await floor.start(DEFAULT_CONCURRENCY);
    const drive = async (ratePerSecond: number, ms: number, prefix: string) => {
      await driveOpenLoop(ratePerSecond, ms, (index) => floor.submit(`${prefix}-${index}`));
      const submitted = floor.jobs().length;
      await waitUntil(() => floor.done() >= submitted, 120_000, 'the floor jobs', 50);
    };
    if (warmup.ms > 0) await drive(warmup.ratePerSecond, warmup.ms, 'floor-warm');
    const started = Date.now();
    await drive(rate, durationMs, 'floor');
    return { ...measured, floor: floorSegments(floor.jobs(), started) };
  } finally {
    await floor.close();
  }
}

export async function runOverheadBenchmark(options: OverheadOptions = {}): Promise<PartResult> {
  const rate = options.ratePerSecond ?? (Number(process.env.BENCH_OVERHEAD_RATE) || 100);
  const durationMs = options.durationMs ?? (Number(process.env.BENCH_OVERHEAD_SECONDS) || 10) * 1000;
  const warmupSeconds = Number(process.env.BENCH_OVERHEAD_WARMUP_SECONDS);
  const warmup: Warmup = {
    ms:
      options.warmupMs ?? (Number.isFinite(warmupSeconds) && warmupSeconds >= 0 ? warmupSeconds : 15) * 1000,
    // At the target rate whatever the rate measured next: the JIT warms by calls, not by seconds.
    ratePerSecond: rate,
  };
  const lowRate = options.lowRatePerSecond ?? (Number(process.env.BENCH_OVERHEAD_LOW_RATE) || 20);
  // One host instance by default: on this 2-core machine a second instance (a Function App scaled out)
  // measured worse, since the cores are already shared with the emulators, the load generator and V8's
  // own threads; the scaled-out layout is measured too and reported in its own row.
  const layout: Layout = options.layout ?? benchHostInstances();
  const measured = await measureAt(rate, durationMs, warmup, layout);
  const { pipeline, floor: floorSegs, posts } = measured;
  const otherLayout: Layout = layout.hostInstances === 1 ? { hostInstances: 2 } : { hostInstances: 1 };
  const other = await measureAt(rate, durationMs, warmup, otherLayout, false);
  // The same at a load the local stack sustains: latency without queueing behind a saturated core.
  const low = await measureAt(lowRate, Math.min(durationMs, 6_000), warmup, layout);
  // Between the two: the highest offered load at which the latency targets still hold here.
  const sweepRates = (process.env.BENCH_OVERHEAD_SWEEP ?? '30,40,60')
    .split(',')
    .map(Number)
    .filter((r) => r > lowRate && r < rate);
  const sweep: Array<{ rate: number; p50: number; p99: number }> = [];
  for (const sweepRate of sweepRates) {
    const point = await measureAt(sweepRate, 5_000, warmup, layout, false);
    sweep.push({
      rate: sweepRate,
      p50: percentile(point.pipeline.total, 50),
      p99: percentile(point.pipeline.total, 99),
    });
  }

  const p = (values: number[], q: number) => round(percentile(values, q), 1);
  const rows: BenchRow[] = [];
  const instancesLabel = layoutLabel(layout);
  const setup = `${rate} jobs/s offered for ${durationMs / 1000} s`;
  rows.push(
    withBaseline(
      {
        part: PART,
        metric: `accept -> persisted, p50 (${setup}, instant model, ${instancesLabel})`,
        value: p(pipeline.total, 50),
        unit: 'ms',
        target: '< 25 ms',
        met: percentile(pipeline.total, 50) < 25,
      },
      'I/O floor p50',
      p(floorSegs.total, 50),
    ),
    withBaseline(
      {
        part: PART,
        metric: `accept -> persisted, p99`,
        value: p(pipeline.total, 99),
        unit: 'ms',
        target: '< 100 ms',
        met: percentile(pipeline.total, 99) < 100,
      },
      'I/O floor p99',
      p(floorSegs.total, 99),
    ),
  );
  const stages: Array<[keyof Segments, string, string]> = [
    ['accept', 'accept -> invoke started (create, send, hop)', 'create -> hop 1'],
    ['model', 'invoke started -> model answered (simulator round trip)', 'none'],
    ['postprocess', 'model answered -> postprocessed (send, hop, validate)', 'hop 1 -> hop 2'],
    ['persist', 'postprocessed -> persisted (send, hop, conditional patch)', 'hop 2 -> patch'],
  ];
  for (const [key, label, floorLabel] of stages) {
    for (const q of [50, 99]) {
      const row = { part: PART, metric: `  ${label}, p${q}`, value: p(pipeline[key], q), unit: 'ms' };
      rows.push(key === 'model' ? row : withBaseline(row, `floor ${floorLabel}`, p(floorSegs[key], q)));
    }
  }
  rows.push({
    part: PART,
    metric: `accept -> persisted at ${rate} jobs/s on ${layoutLabel(otherLayout)} (comparison), p50 / p99`,
    value: p(other.pipeline.total, 50),
    unit: `ms / ${p(other.pipeline.total, 99)} ms`,
  });
  for (const q of [50, 99]) {
    rows.push(
      withBaseline(
        {
          part: PART,
          metric: `accept -> persisted, p${q}, at ${lowRate} jobs/s offered (${instancesLabel})`,
          value: p(low.pipeline.total, q),
          unit: 'ms',
        },
        `I/O floor p${q}`,
        p(low.floor.total, q),
      ),
    );
  }
  for (const point of sweep) {
    rows.push({
      part: PART,
      metric: `accept -> persisted at ${point.rate} jobs/s offered (5 s, ${instancesLabel}), p50 / p99`,
      value: round(point.p50, 1),
      unit: `ms / ${round(point.p99, 1)} ms`,
      target: 'p50 < 25, p99 < 100',
      met: point.p50 < 25 && point.p99 < 100,
    });
  }
  rows.push(
    {
      part: PART,
      metric: `POST /api/v1/jobs latency at the client at ${lowRate} jobs/s, p50 / p99`,
      value: round(low.posts.p50, 1),
      unit: `ms / ${round(low.posts.p99, 1)} ms`,
    },
    {
      part: PART,
      metric: `POST /api/v1/jobs latency at the client at ${rate} jobs/s, p50 / p99`,
      value: round(posts.p50, 1),
      unit: `ms / ${round(posts.p99, 1)} ms`,
    },
    ...threadRows(rate, instancesLabel, measured, layout),
    ...threadRows(rate, layoutLabel(otherLayout), other, otherLayout),
    withBaseline(
      {
        part: PART,
        metric: `jobs accepted per second, until the last answer (refused: ${posts.refused}${posts.refused > 0 ? `: ${posts.refusedStatuses}` : ''})`,
        value: round(posts.achieved, 1),
        unit: 'jobs/s',
      },
      'offered',
      rate,
    ),
  );
  return {
    rows,
    details: [
      '### Overhead: method',
      '',
      `${setup} over HTTP from a worker thread (open loop), ${pipeline.total.length} jobs measured. Every`,
      `measurement (and its floor) runs on a fresh stack warmed first: ${warmup.ms / 1000} s at ${warmup.ratePerSecond} jobs/s, drained,`,
      'not counted, so that V8 has compiled the hot code (its background compiler threads otherwise take up to',
      "half a core for the first ~20 s) and the links and caches are open. Stage times come from each job's",
      `own timings in Cosmos DB (ms resolution). The floor does the same Cosmos DB and Service Bus I/O with the same SDKs and`,
      `maxConcurrentCalls ${DEFAULT_CONCURRENCY}, without HTTP, validation, the model call or the use cases.`,
      `Placement: ${instancePlacement(layout.hostInstances, layout.mainInstanceFunctions)}; ${emulatorPlacement()};`,
      'the load generator on another worker thread. The floor puts its emulators the same way. All threads',
      'share the same two cores. The comparison row runs the same load on the other layout: scale-out is what',
      'Azure does with a Function App under load (more instances competing for the same queues, each with its',
      'own maxConcurrentCalls), here a second instance on a worker thread. Busy = event loop',
      'utilisation from submit to all persisted; CPU per job from the Linux per-thread clock (10 ms ticks).',
    ].join('\n'),
  };
}

function countByStatus(submissions: ReadonlyArray<{ status: number }>): string {
  const counts = new Map<number, number>();
  for (const { status } of submissions) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `status ${status} x${count}`).join(', ');
}

function layoutLabel(layout: Layout): string {
  return layout.hostInstances === 1 ? '1 host instance' : `${layout.hostInstances} host instances`;
}

/** Where the work ran: per host instance busy share, own CPU and share of stage messages; process CPU. */
function threadRows(rate: number, label: string, measured: Measured, layout: Layout): BenchRow[] {
  const rows: BenchRow[] = [];
  measured.instances.forEach((instance, index) => {
    const name =
      index === 0
        ? `main thread (${layout.hostInstances > 1 && (layout.mainInstanceFunctions ?? MAIN_INSTANCE_FUNCTIONS) === 'http' ? 'HTTP only' : 'HTTP + triggers'})`
        : `instance ${index} thread (triggers)`;
    rows.push({
      part: PART,
      // Near 100 % a loop is saturated and jobs queue behind it; the emulators are not in it.
      metric: `${name} busy at ${rate} jobs/s, ${label}; CPU per job / share of stage messages`,
      value: round(100 * instance.utilization, 0),
      unit: `% / ${instance.cpuMsPerJob === undefined ? 'n/a' : `${round(instance.cpuMsPerJob, 2)} ms`} / ${round(100 * instance.stageShare, 0)} %`,
    });
  });
  if (measured.listenerCpuMsPerJob !== undefined)
    rows.push({
      part: PART,
      metric: `queue listener thread CPU per job at ${rate} jobs/s, ${label} (main instance's receivers)`,
      value: round(measured.listenerCpuMsPerJob, 2),
      unit: 'ms',
    });
  rows.push({
    part: PART,
    metric: `process CPU per job at ${rate} jobs/s, ${label} (every thread: instances, emulators, load)`,
    value: round(measured.processCpuMsPerJob, 2),
    unit: 'ms',
  });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runOverheadBenchmark());
}
