/**
 * Unit costs: process CPU per operation of each kind a job is made of, through the local
 * stack's own adapters and emulators (both ends of each call are in this process, the emulators on
 * worker threads: process CPU counts all threads), at 16 concurrent
 * callers like the triggers. With the per-job counts (bench/cost.ts) they say where a job's CPU goes
 * on the local stack: e.g. whether one query costs as much as several point operations.
 *
 *   npm run build && node dist/bench/unit-costs.js
 * Environment: BENCH_UNIT_OPS (300 per kind).
 */
import { pathToFileURL } from 'node:url';
import { jobIdFor } from '../shared/jobs/ids.js';
import type { JobRequest } from '../shared/jobs/job-request.js';
import { CosmosWebhookStore } from '../shared/cosmos/webhook-store.js';
import { benchJobDocument, emulatorPlacement, JOB_REQUEST, startBenchStack } from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';

const PART = 'unit costs';
const CONCURRENCY = 16;

/** Runs `op(i)` `count` times with CONCURRENCY callers; returns process CPU ms per call. */
async function cpuPerCall(count: number, op: (index: number) => Promise<unknown>): Promise<number> {
  const cpu = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await op(next++);
    }),
  );
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / count;
}

export async function runUnitCosts(options: { ops?: number } = {}): Promise<PartResult> {
  const ops = options.ops ?? (Number(process.env.BENCH_UNIT_OPS) || 300);
  const stack = await startBenchStack();
  try {
    const { jobs } = stack.services;
    const webhooks = new CosmosWebhookStore(stack.services.database.container('webhooks'));
    const model = stack.services.invoke.model;
    // Warm-up of every path (JIT, connections, SDK metadata).
    await cpuPerCall(50, (i) => jobs.create(benchJobDocument(stack.tenantId, `warm-${i}`)));
    await cpuPerCall(50, () => webhooks.listEndpoints(stack.tenantId));
    await cpuPerCall(20, (i) =>
      model.complete(JOB_REQUEST as JobRequest, {
        jobId: `warm-${i}`,
        tenantId: stack.tenantId,
        attempt: 0,
      }),
    );

    const create = await cpuPerCall(ops, (i) => jobs.create(benchJobDocument(stack.tenantId, `unit-${i}`)));
    const read = await cpuPerCall(ops, (i) =>
      jobs.get(stack.tenantId, jobIdFor(stack.tenantId, `unit-${i}`)),
    );
    // persist's terminal write: one conditional patch on a queued job.
    const complete = await cpuPerCall(ops, (i) => {
      const at = new Date().toISOString();
      return jobs.completeIfOpen(stack.tenantId, jobIdFor(stack.tenantId, `unit-${i}`), {
        status: 'succeeded',
        updatedAt: at,
        completedAt: at,
        attempts: 1,
        ttl: 86_400,
      });
    });
    const query = await cpuPerCall(ops, () => webhooks.listEndpoints(stack.tenantId));
    const modelCall = await cpuPerCall(ops, (i) =>
      model.complete(JOB_REQUEST as JobRequest, {
        jobId: `unit-${i}`,
        tenantId: stack.tenantId,
        attempt: 0,
      }),
    );
    const rows: BenchRow[] = [
      {
        part: PART,
        metric: 'Cosmos point read (JobStore.get), CPU per call',
        value: round(read, 2),
        unit: 'ms',
      },
      withBaseline(
        {
          part: PART,
          metric: 'Cosmos create (JobStore.create), CPU per call',
          value: round(create, 2),
          unit: 'ms',
        },
        'point read',
        round(read, 2),
      ),
      withBaseline(
        {
          part: PART,
          metric:
            "Cosmos conditional patch (JobStore.completeIfOpen, persist's terminal write), CPU per call",
          value: round(complete, 2),
          unit: 'ms',
        },
        'point read',
        round(read, 2),
      ),
      withBaseline(
        {
          part: PART,
          metric: 'Cosmos single-partition query (deliver: listEndpoints, 0 results), CPU per call',
          value: round(query, 2),
          unit: 'ms',
        },
        'point read',
        round(read, 2),
      ),
      withBaseline(
        {
          part: PART,
          metric: 'model call, instant simulator (client + simulator), CPU per call',
          value: round(modelCall, 2),
          unit: 'ms',
        },
        'point read',
        round(read, 2),
      ),
    ];
    return {
      rows,
      details: [
        '### Unit costs: method',
        '',
        `${ops} calls of each kind, ${CONCURRENCY} concurrent callers, after a warm-up, through the stack's own`,
        'adapters; process CPU (user + system) per call, both ends included (SDK client and emulator or',
        `simulator), since everything runs in this process (${emulatorPlacement()}). A query makes the SDK fetch a query plan first:`,
        'two HTTP round trips and a SQL compile in the emulator, against one round trip for a point read.',
        'Measured in isolation, with the idle stack around them (its receivers and timers count too), these',
        'overstate what an operation costs inside a busy pipeline, where work batches; read them as relative',
        "weights (a query ~ a point read or more, a model call ~ two), and the throughput part's CPU per job as",
        'the total.',
      ].join('\n'),
    };
  } finally {
    await stack.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runUnitCosts());
}
