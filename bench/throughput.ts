/**
 * Throughput: sustained jobs/s through every stage (intake, accept, invoke, postprocess,
 * persist; no deliver, as the bench tenant has no webhook endpoints and persist skips that hop) with a
 * model that answers at once, for several `maxConcurrentCalls` (host.json's Service Bus concurrency, per
 * trigger). A backlog of jobs is sent to the `intake` queue in batches, and the rate is jobs / (first
 * send -> last persist completion). Baseline, same run and concurrency: the I/O
 * floor (bench/lib/io-floor.ts) draining the same number of jobs.
 *
 *   npm run build && node dist/bench/throughput.js
 * Environment: BENCH_THROUGHPUT_JOBS (400 per run; at most max(150, 100 x concurrency)),
 * BENCH_THROUGHPUT_CONCURRENCY (1,4,16,32), BENCH_EMULATOR_THREADS (on by default; off, one or each:
 * bench/lib/pipeline.ts), BENCH_THROUGHPUT_SCALED (on; off skips the row with 2 host instances at
 * maxConcurrentCalls 16 each). One host instance otherwise: the question is per-instance concurrency.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { pathToFileURL } from 'node:url';
import { startIoFloor } from './lib/io-floor.js';
import {
  emulatorPlacement,
  JOB_REQUEST,
  mainThreadCpuMs,
  startBenchStack,
  waitUntil,
} from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';

const PART = 'throughput';
const SEND_BATCH = 50;
/** How many floor submissions run at once while the backlog is built. */
const FLOOR_SUBMIT_CONCURRENCY = 16;
/** maxConcurrentCalls of each instance in the scale-out comparison row. */
const SCALED_CONCURRENCY = 16;

export interface ThroughputOptions {
  readonly jobs?: number;
  readonly concurrency?: readonly number[];
}

interface Rate {
  readonly jobsPerSecond: number;
  /** Process CPU (user + system, all threads: emulators included) per job. */
  readonly cpuMsPerJob: number;
  /** The main thread's CPU per job (dev host, functions, SDK clients), where the OS reports it. */
  readonly mainCpuMsPerJob: number | undefined;
}

interface CpuStart {
  readonly process: NodeJS.CpuUsage;
  readonly main: number | undefined;
}

const cpuNow = (): CpuStart => ({ process: process.cpuUsage(), main: mainThreadCpuMs() });

function rateSince(jobs: number, started: number, cpu: CpuStart): Rate {
  const used = process.cpuUsage(cpu.process);
  const main = mainThreadCpuMs();
  return {
    jobsPerSecond: jobs / ((performance.now() - started) / 1000),
    cpuMsPerJob: (used.user + used.system) / 1000 / jobs,
    mainCpuMsPerJob: main === undefined || cpu.main === undefined ? undefined : (main - cpu.main) / jobs,
  };
}

async function pipelineRate(
  jobs: number,
  maxConcurrentCalls: number,
  runId: string,
  hostInstances = 1,
): Promise<Rate> {
  const stack = await startBenchStack({ maxConcurrentCalls, hostInstances });
  const producer = new ServiceBusClient(stack.serviceBus.connectionString);
  try {
    const sender = producer.createSender('intake');
    // Finished persist invocations (a job's last hop) on every host instance (a worker instance's SDK
    // calls are not visible to an instrumentation of this thread's).
    const persisted = () =>
      stack.instances().reduce((sum, instance) => sum + (instance.invocations.persist ?? 0), 0);
    const started = performance.now();
    const cpu = cpuNow();
    for (let first = 0; first < jobs; first += SEND_BATCH) {
      const batch = [];
      for (let index = first; index < Math.min(jobs, first + SEND_BATCH); index += 1) {
        const key = `tp-${runId}-${index}`;
        batch.push({
          body: JOB_REQUEST,
          messageId: key,
          contentType: 'application/json',
          applicationProperties: { tenantId: stack.tenantId, idempotencyKey: key },
        });
      }
      await sender.sendMessages(batch);
    }
    await waitUntil(
      () => persisted() >= jobs,
      180_000,
      `${jobs} jobs at maxConcurrentCalls ${maxConcurrentCalls}`,
      20,
    );
    return rateSince(jobs, started, cpu);
  } finally {
    await producer.close();
    await stack.close();
  }
}

async function floorRate(jobs: number, maxConcurrentCalls: number, runId: string): Promise<Rate> {
  const floor = await startIoFloor();
  try {
    await floor.start(maxConcurrentCalls);
    const started = performance.now();
    const cpu = cpuNow();
    let next = 0;
    await Promise.all(
      Array.from({ length: FLOOR_SUBMIT_CONCURRENCY }, async () => {
        while (next < jobs) {
          const index = next++;
          await floor.submit(`floor-${runId}-${index}`);
        }
      }),
    );
    await waitUntil(() => floor.done() >= jobs, 180_000, `${jobs} floor jobs`, 20);
    return rateSince(jobs, started, cpu);
  } finally {
    await floor.close();
  }
}

export async function runThroughputBenchmark(options: ThroughputOptions = {}): Promise<PartResult> {
  const jobs = options.jobs ?? (Number(process.env.BENCH_THROUGHPUT_JOBS) || 400);
  const concurrency =
    options.concurrency ??
    (process.env.BENCH_THROUGHPUT_CONCURRENCY?.split(',')
      .map(Number)
      .filter((n) => n > 0) || [1, 4, 16, 32]);
  const rows: BenchRow[] = [];
  const measured: Array<{ mcc: number; pipeline: number; floor: number }> = [];
  const cpu: Array<{ mcc: number; pipeline: number; floor: number }> = [];
  const mainCpu: Array<{ mcc: number; pipeline: number; floor: number }> = [];
  for (const mcc of concurrency) {
    // Fewer jobs at low concurrency, where each takes longest: the run stays within its time budget.
    const count = Math.min(jobs, Math.max(150, 100 * mcc));
    const pipelineRun = await pipelineRate(count, mcc, `p${mcc}`);
    const floorRun = await floorRate(count, mcc, `f${mcc}`);
    const pipeline = pipelineRun.jobsPerSecond;
    const floor = floorRun.jobsPerSecond;
    measured.push({ mcc, pipeline, floor });
    cpu.push({ mcc, pipeline: pipelineRun.cpuMsPerJob, floor: floorRun.cpuMsPerJob });
    if (pipelineRun.mainCpuMsPerJob !== undefined && floorRun.mainCpuMsPerJob !== undefined)
      mainCpu.push({ mcc, pipeline: pipelineRun.mainCpuMsPerJob, floor: floorRun.mainCpuMsPerJob });
    rows.push(
      withBaseline(
        {
          part: PART,
          metric: `jobs/s through all stages, maxConcurrentCalls ${mcc} (${count} jobs via intake)`,
          value: round(pipeline, 1),
          unit: 'jobs/s',
        },
        'I/O floor, same concurrency',
        round(floor, 1),
      ),
    );
  }
  // Scale-out, for comparison only: the per-instance question above is answered on one instance.
  if (process.env.BENCH_THROUGHPUT_SCALED !== 'off') {
    const count = Math.min(jobs, 1_600);
    const scaled = await pipelineRate(count, SCALED_CONCURRENCY, 'scaled', 2);
    const single = measured.find((run) => run.mcc === SCALED_CONCURRENCY);
    const row = {
      part: PART,
      metric: `jobs/s through all stages, 2 host instances at maxConcurrentCalls ${SCALED_CONCURRENCY} each (${count} jobs); CPU/job ${round(scaled.cpuMsPerJob, 2)} ms`,
      value: round(scaled.jobsPerSecond, 1),
      unit: 'jobs/s',
    };
    rows.push(
      single
        ? withBaseline(row, `1 instance, maxConcurrentCalls ${SCALED_CONCURRENCY}`, round(single.pipeline, 1))
        : row,
    );
  }
  const first = measured[0];
  if (first && measured.length > 1) {
    for (const { mcc, pipeline } of measured.slice(1)) {
      rows.push(
        withBaseline(
          {
            part: PART,
            metric: `  scaling: maxConcurrentCalls ${mcc} vs ${first.mcc}`,
            value: round(pipeline, 1),
            unit: 'jobs/s',
          },
          `maxConcurrentCalls ${first.mcc}`,
          round(first.pipeline, 1),
        ),
      );
    }
  }
  // CPU per job is steadier than a rate on a shared machine: it says how much work a job is.
  for (const { mcc, pipeline, floor } of cpu) {
    rows.push(
      withBaseline(
        {
          part: PART,
          metric: `  process CPU per job (emulators included), maxConcurrentCalls ${mcc}`,
          value: round(pipeline, 2),
          unit: 'ms',
        },
        'I/O floor',
        round(floor, 2),
      ),
    );
  }
  // The platform's own thread: what a Functions instance would spend per job (10 ms clock ticks).
  for (const { mcc, pipeline, floor } of mainCpu) {
    rows.push(
      withBaseline(
        {
          part: PART,
          metric: `  main thread CPU per job (dev host, functions, SDK clients), maxConcurrentCalls ${mcc}`,
          value: round(pipeline, 2),
          unit: 'ms',
        },
        'I/O floor',
        round(floor, 2),
      ),
    );
  }
  return {
    rows,
    details: [
      '### Throughput: method',
      '',
      `A backlog sent to \`intake\` in batches of ${SEND_BATCH}, drained through every stage; the rate is jobs over`,
      'first send -> last persist completion (the bench tenant has no webhook endpoints, so no deliver hop).',
      'The I/O floor drains the same number of jobs through the same hops at the same',
      `maxConcurrentCalls. Placement: ${emulatorPlacement()}; process CPU counts every thread, main`,
      'thread CPU only the dev host, the functions and the SDK clients (Linux per-thread clock, 10 ms ticks).',
      `One host instance throughout, except the row with 2 host instances: the main thread's and one on a`,
      `worker thread (local/threads/host-instances.ts), competing for the same queues at maxConcurrentCalls`,
      `${SCALED_CONCURRENCY} each, as a Function App scaled out to two instances.`,
    ].join('\n'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runThroughputBenchmark());
}
