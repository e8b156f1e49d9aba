/**
 * Routing by deadline through the whole local stack: one real-time and one Global Batch deployment of
 * gpt-4o-mini on the simulator, and a mix of work submitted through the Batches API with the `openai`
 * SDK: BENCH_ROUTING_FAR lines (default 200) with a `24h` window and BENCH_ROUTING_NEAR lines (default 50)
 * with a 20 s window. Time is compressed: a Global Batch deployment is given 30 s
 * (`turnaroundSeconds`), "near the deadline" is 2 s, a simulated batch answers its lines in 0.4 s, and
 * both sweeps run every 250 ms (`runTimer`) instead of on their minute schedule. Reported:
 * - deadlines missed (a line ending after its window), per kind of work (target 0);
 * - the share of the 24 h work answered by batch capacity (target 1) and of the near work by real-time;
 * - cost per job as routed, against the same tokens all priced real-time (the price table's batch
 *   prices are half), for the mix and for the 24 h work alone; wall time until everything finished.
 *
 *   npm run build && node dist/bench/part-runner.js routing
 */
import OpenAI from 'openai';
import { pathToFileURL } from 'node:url';
import type { JobView } from '../functions/http/job-view.js';
import { startLocalStack } from '../local/stack.js';
import { DEFAULT_PRICE_TABLE } from '../shared/model/settings.js';
import { costOf } from '../shared/model/usage.js';
import { createLogger } from '../shared/telemetry/logger.js';
import { createChatBatch, lineJobIds, readJob } from './lib/batch-api.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';

const PART = 'routing';
/** Short enough that no batch is given the work (turnaround 30 s), long enough for a loaded 2-core box. */
const NEAR_WINDOW_SECONDS = 20;

interface Work {
  readonly kind: 'far' | 'near';
  readonly batchId: string;
  readonly dueAt: number;
}

export async function runRoutingBenchmark(): Promise<PartResult> {
  const far = Number(process.env.BENCH_ROUTING_FAR) || 200;
  const near = Number(process.env.BENCH_ROUTING_NEAR) || 50;
  const stack = await startLocalStack({
    port: 0,
    logger: createLogger({ level: 'error' }),
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    globalBatch: {
      alias: 'gpt-4o-mini',
      turnaroundSeconds: 30,
      timing: { validatingMs: 100, processingMs: 400, finalizingMs: 100, cancellingMs: 50 },
    },
    env: {
      BATCH_MIN_WINDOW_SECONDS: '1',
      CAPACITY_NEAR_DEADLINE_SECONDS: '2',
      CAPACITY_BACKGROUND_RETRY_SECONDS: '1',
    },
  });
  try {
    const client = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
    const startedAt = Date.now();
    const work: Work[] = [
      {
        kind: 'far',
        batchId: await createChatBatch(client, 'far', far, '24h'),
        dueAt: startedAt + 86_400_000,
      },
      {
        kind: 'near',
        batchId: await createChatBatch(client, 'near', near, `${NEAR_WINDOW_SECONDS}s`),
        dueAt: Date.now() + NEAR_WINDOW_SECONDS * 1000,
      },
    ];
    for (;;) {
      await stack.host.runTimer('batchSweep');
      await stack.host.runTimer('capacitySweep');
      const batches = await Promise.all(work.map((w) => client.batches.retrieve(w.batchId)));
      if (batches.every((b) => ['completed', 'failed', 'expired', 'cancelled'].includes(b.status))) break;
      if (Date.now() - startedAt > 180_000)
        throw new Error('the routing benchmark did not finish in 3 minutes');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const wallSeconds = (Date.now() - startedAt) / 1000;
    const jobsOf = async (w: Work) =>
      Promise.all((await lineJobIds(client, w.batchId)).map((id) => readJob(stack.apiUrl, stack.apiKey, id)));
    const farJobs = await jobsOf(work[0]!);
    const nearJobs = await jobsOf(work[1]!);
    return {
      rows: rowsOf(farJobs, nearJobs, work, far, near, wallSeconds, stack.model.batchStats().linesAnswered),
    };
  } finally {
    await stack.close();
  }
}

function rowsOf(
  farJobs: readonly JobView[],
  nearJobs: readonly JobView[],
  work: readonly Work[],
  far: number,
  near: number,
  wallSeconds: number,
  batchLinesAnswered: number,
): BenchRow[] {
  const missed = (jobs: readonly JobView[], dueAt: number, expected: number) =>
    expected -
    jobs.filter((j) => j.status === 'succeeded' && j.completedAt && Date.parse(j.completedAt) <= dueAt)
      .length;
  const share = (jobs: readonly JobView[], capacity: string, of: number) =>
    jobs.filter((j) => j.usage?.capacity === capacity).length / Math.max(1, of);
  const routed = (jobs: readonly JobView[]) => jobs.reduce((sum, j) => sum + (j.usage?.costUsd ?? 0), 0);
  const allRealtime = (jobs: readonly JobView[]) =>
    jobs.reduce(
      (sum, j) => sum + (j.usage ? (costOf(j.usage, 'gpt-4o-mini', DEFAULT_PRICE_TABLE) ?? 0) : 0),
      0,
    );
  const perJob = (usd: number, count: number) => (usd / Math.max(1, count)) * 1e6;
  const all = [...farJobs, ...nearJobs];
  return [
    {
      part: PART,
      metric: '24 h work: deadlines missed',
      value: missed(farJobs, work[0]!.dueAt, far),
      unit: 'lines',
      target: '0',
    },
    {
      part: PART,
      metric: `${NEAR_WINDOW_SECONDS} s work: deadlines missed`,
      value: missed(nearJobs, work[1]!.dueAt, near),
      unit: 'lines',
      target: '0',
    },
    {
      part: PART,
      metric: '24 h work answered by Global Batch',
      value: round(share(farJobs, 'batch', far), 3),
      unit: 'share',
      target: '1',
    },
    {
      part: PART,
      metric: `${NEAR_WINDOW_SECONDS} s work answered real-time`,
      value: round(share(nearJobs, 'realtime', near), 3),
      unit: 'share',
      target: '1',
    },
    {
      part: PART,
      metric: 'lines answered by the simulated Global Batch deployment',
      value: batchLinesAnswered,
      unit: 'lines',
    },
    withBaseline(
      {
        part: PART,
        metric: 'cost per job, the mix as routed',
        value: round(perJob(routed(all), all.length), 4),
        unit: 'µUSD',
      },
      'all real-time',
      round(perJob(allRealtime(all), all.length), 4),
    ),
    withBaseline(
      {
        part: PART,
        metric: 'cost per job, 24 h work as routed',
        value: round(perJob(routed(farJobs), farJobs.length), 4),
        unit: 'µUSD',
      },
      'all real-time',
      round(perJob(allRealtime(farJobs), farJobs.length), 4),
    ),
    { part: PART, metric: 'wall time until both batches finished', value: round(wallSeconds, 1), unit: 's' },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runRoutingBenchmark());
  process.exit(0);
}
