/**
 * A batch through the whole local stack, from upload to `completed`, with an instant model: a file of
 * BENCH_BATCH_LINES lines (50,000) and BENCH_BATCH_FILE_MB megabytes (200: OpenAI's file limit, about
 * 4 KB a line) uploaded over HTTP as it is generated, a batch created on it, the batch sweep (run with
 * `runTimer`, as its minute schedule would) validating it and making every line a job, the pipeline
 * running them, and the sweep finalizing the batch. Measured in the same run:
 * - lines accepted per second (upload start to the last line's job created and its message sent), against
 *   the create-plus-send floor: jobs of the same request each created and sent on their own, as accept
 *   does (target: at least 0.8 of it); and lines completed per second against the floor jobs' own drain;
 * - Cosmos DB requests and document writes, Service Bus sends and messages per line (upload to
 *   `completed`), against the same per job on the single-job path (HTTP submissions to persisted);
 * - memory during the upload and validation: the process's RSS (every thread) and the main thread's
 *   heap, growth over the level before the upload (target for a 200 MB file: at most 100 MB). The
 *   fan-out is not in that window: the embedded Cosmos DB runs on a thread of this process and holds
 *   every job it is given, so RSS then grows with the jobs by design (Cosmos DB is a service in Azure).
 *
 *   npm run build && BENCH_BATCH_LINES=5000 BENCH_BATCH_FILE_MB=20 node dist/bench/part-runner.js batches
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { batchIdFor, type BatchDocument } from '../shared/batches/batch.js';
import { lineInvoke, lineJob } from '../shared/batches/fanout.js';
import { instrumentCosmos, WRITE_KINDS, type CosmosOperation } from './instrument/cosmos-counter.js';
import { instrumentServiceBus, type ServiceBusOperation } from './instrument/servicebus-counter.js';
import { batchFile, paddedRequest, uploadBatchFile } from './lib/batch-file.js';
import { startBenchStack, waitUntil } from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';

const PART = 'batches';
const MB = 1024 * 1024;
/** Operations per request of a bulk call: the SDK sends up to 100 per partition range. */
const BULK_REQUEST_OPERATIONS = 100;
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

interface Counts {
  readonly cosmosRequests: number;
  readonly cosmosWrites: number;
  readonly sends: number;
  readonly messages: number;
}

function countsOf(cosmos: readonly CosmosOperation[], serviceBus: readonly ServiceBusOperation[]): Counts {
  let requests = 0;
  let writes = 0;
  for (const op of cosmos) {
    const operations = op.kind === 'bulk' || op.kind === 'batch' ? Number.parseInt(op.target, 10) || 1 : 1;
    requests += op.kind === 'bulk' ? Math.ceil(operations / BULK_REQUEST_OPERATIONS) : 1;
    if (WRITE_KINDS.has(op.kind)) writes += operations;
  }
  const sent = serviceBus.filter((op) => (op.kind === 'send' || op.kind === 'schedule') && op.ok);
  return {
    cosmosRequests: requests,
    cosmosWrites: writes,
    sends: sent.length,
    messages: sent.reduce((sum, op) => sum + op.messages, 0),
  };
}

function breakdown(operations: readonly CosmosOperation[]): string {
  const byKind = new Map<string, number>();
  for (const op of operations) {
    const key = `${op.kind} ${op.container}`;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  }
  return [...byKind].map(([key, n]) => `${key} ${n}`).join(', ');
}

/** Peak RSS and heap over a window, sampled every 20 ms. */
function memorySampler() {
  const start = process.memoryUsage();
  let rss = start.rss;
  let heap = start.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    heap = Math.max(heap, now.heapUsed);
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return { rssGrowthMB: (rss - start.rss) / MB, heapGrowthMB: (heap - start.heapUsed) / MB };
    },
  };
}

export async function runBatchBenchmark(): Promise<PartResult> {
  const lines = Number(process.env.BENCH_BATCH_LINES) || 50_000;
  const fileMB = Number(process.env.BENCH_BATCH_FILE_MB) || 200;
  const singleJobs = 20;
  const floorJobs = Math.min(1_000, Math.max(100, Math.round(lines / 50)));
  const file = batchFile(lines, Math.floor((fileMB * MB) / lines));
  const request = paddedRequest(0, file.contentChars);

  const cosmos = instrumentCosmos();
  const serviceBus = instrumentServiceBus();
  const persisted = () =>
    serviceBus.operations().filter((op) => op.kind === 'complete' && op.queue === 'persist' && op.ok).length;
  const stack = await startBenchStack({
    // Receivers on this thread: a job is seen done by its persist message's settlement, without reads.
    queueListener: 'in-process',
    // ~1,000 prompt tokens a line: at the bench's usual 10M TPM, 50,000 lines would be paced by quota.
    deployments: [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 2_000_000_000 }],
  });
  try {
    const submit = async (key: string) => {
      const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
        method: 'POST',
        headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(request),
      });
      if (response.status !== 202) throw new Error(`POST /v1/jobs answered ${response.status}`);
    };
    await submit('batch-bench-warm');
    await waitUntil(() => persisted() >= 1, 30_000, 'the warm-up job');

    // The single-job path: HTTP submissions, one at a time, each to persisted.
    cosmos.reset();
    serviceBus.reset();
    for (let n = 0; n < singleJobs; n += 1) await submit(`batch-bench-single-${n}`);
    await waitUntil(() => persisted() >= singleJobs, 60_000, 'the single jobs');
    const single = countsOf(cosmos.operations(), serviceBus.operations());

    // The floor: one create and one send per job, each awaited, as accept does; then their drain.
    serviceBus.reset();
    const template = {
      id: batchIdFor(stack.tenantId, 'floor'),
      tenantId: stack.tenantId,
      expiresAtMs: Date.now() + 86_400_000,
    };
    const floorStart = performance.now();
    for (let n = 0; n < floorJobs; n += 1) {
      const job = lineJob(
        template as BatchDocument,
        { number: n, customId: `floor-${n}`, request },
        Date.now(),
        3_600_000,
      );
      await stack.services.jobs.create(job);
      await stack.services.publisher.send(lineInvoke(job));
    }
    const floorAcceptSeconds = (performance.now() - floorStart) / 1000;
    await waitUntil(() => persisted() >= floorJobs, 600_000, 'the floor jobs', 50);
    const floorDrainSeconds = (performance.now() - floorStart) / 1000;

    // The batch: upload and validation (memory window), fan-out, the pipeline, finalization.
    cosmos.reset();
    serviceBus.reset();
    gc();
    const memory = memorySampler();
    let validated: { rssGrowthMB: number; heapGrowthMB: number } | undefined;
    // Validation ends when the fan-out's first bulk create goes out (or the batch leaves `validating`).
    const watch = setInterval(() => {
      if (!validated && cosmos.operations().some((op) => op.kind === 'bulk')) validated = memory.stop();
    }, 20);
    const started = performance.now();
    const uploaded = await uploadBatchFile(stack.apiUrl, stack.apiKey, file);
    const uploadSeconds = (performance.now() - started) / 1000;
    const created = await fetch(`${stack.apiUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        input_file_id: uploaded.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    });
    const batchId = ((await created.json()) as { id: string }).id;
    await stack.host.runTimer('batchSweep');
    clearInterval(watch);
    validated ??= memory.stop();
    const acceptSeconds = (performance.now() - started) / 1000;
    const acceptedAt = performance.now();
    await waitUntil(() => persisted() >= lines, 3_600_000, 'every line job', 100);
    let status = '';
    let counts = countsOf(cosmos.operations(), serviceBus.operations());
    for (let tries = 0; tries < 5 && status !== 'completed'; tries += 1) {
      await stack.host.runTimer('batchSweep');
      counts = countsOf(cosmos.operations(), serviceBus.operations());
      status = (await stack.services.batches.batches.get(stack.tenantId, batchId))?.batch.status ?? 'missing';
    }
    const completeSeconds = (performance.now() - acceptedAt) / 1000;
    if (status !== 'completed') throw new Error(`the batch ended ${status}, not completed`);

    const perLine = (value: number) => round(value / lines, 3);
    const perJob = (value: number) => round(value / singleJobs, 3);
    const acceptRate = lines / acceptSeconds;
    const floorRate = floorJobs / floorAcceptSeconds;
    const fullSize = uploaded.bytes >= 200 * 1_000_000;
    const rows: BenchRow[] = [
      {
        ...withBaseline(
          {
            part: PART,
            metric: `lines accepted per second (upload to the last job sent, ${lines} lines)`,
            value: round(acceptRate, 1),
            unit: 'lines/s',
            target: '>= 0.8 of the floor',
          },
          `create + send per job, ${floorJobs} jobs`,
          round(floorRate, 1),
        ),
        met: acceptRate >= 0.8 * floorRate,
      },
      withBaseline(
        {
          part: PART,
          metric: 'lines completed per second (accepted to batch completed)',
          value: round(lines / completeSeconds, 1),
          unit: 'lines/s',
        },
        'floor jobs sent to persisted',
        round(floorJobs / floorDrainSeconds, 1),
      ),
      withBaseline(
        {
          part: PART,
          metric: 'Cosmos DB requests per line (upload to completed)',
          value: perLine(counts.cosmosRequests),
          unit: '',
        },
        'per single HTTP job',
        perJob(single.cosmosRequests),
      ),
      withBaseline(
        {
          part: PART,
          metric: 'Cosmos DB document writes per line',
          value: perLine(counts.cosmosWrites),
          unit: '',
        },
        'per single HTTP job',
        perJob(single.cosmosWrites),
      ),
      withBaseline(
        { part: PART, metric: 'Service Bus messages per line', value: perLine(counts.messages), unit: '' },
        'per single HTTP job',
        perJob(single.messages),
      ),
      withBaseline(
        { part: PART, metric: 'Service Bus send calls per line', value: perLine(counts.sends), unit: '' },
        'per single HTTP job',
        perJob(single.sends),
      ),
      {
        part: PART,
        metric: `RSS growth during upload and validation (${round(uploaded.bytes / MB, 1)} MB file)`,
        value: round(validated.rssGrowthMB, 1),
        unit: 'MB',
        target: '<= 100 MB for a 200 MB file',
        // A smaller file is measured but not judged: the fixed part (a 4 MB block, buffers) dominates it.
        ...(fullSize ? { met: validated.rssGrowthMB <= 100 } : {}),
      },
      {
        part: PART,
        metric: 'main-thread heap growth during upload and validation',
        value: round(validated.heapGrowthMB, 1),
        unit: 'MB',
      },
    ];
    const details = [
      `### Batches (${lines} lines, ${round(uploaded.bytes / MB, 1)} MB)`,
      '',
      `Upload ${round(uploadSeconds, 1)} s, upload to every line accepted ${round(acceptSeconds, 1)} s, accepted to \`completed\` ${round(completeSeconds, 1)} s.`,
      `Batch: ${counts.cosmosRequests} Cosmos DB requests (bulk calls counted as one request per ${BULK_REQUEST_OPERATIONS} operations), ${counts.cosmosWrites} document writes, ${counts.sends} Service Bus sends of ${counts.messages} messages.`,
      `Single-job path (${singleJobs} HTTP jobs): ${single.cosmosRequests} requests, ${single.cosmosWrites} writes, ${single.sends} sends of ${single.messages} messages.`,
      `Batch Cosmos DB operations by kind: ${breakdown(cosmos.operations())}.`,
      'Emulators on worker threads of this process; Azurite in a child process. The reconcile timer runs every minute and its queries are counted with the batch.',
    ].join('\n');
    return { rows, details };
  } finally {
    await stack.close();
    cosmos.restore();
    serviceBus.restore();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runBatchBenchmark());
  process.exit(0);
}
