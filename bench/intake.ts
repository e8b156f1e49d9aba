/**
 * Intake efficiency: `POST /api/v1/jobs` requests/s (autocannon, fixed concurrency, on a worker
 * thread) divided by the rate at which the I/O a submission cannot avoid, one Cosmos DB create of the
 * job document plus one Service Bus send of its invoke message, runs alone at the same concurrency,
 * through the same clients (the stack's own JobStore and publisher). Both run alone on the same stack:
 * the dev host serves the HTTP routes without the queue triggers, so no pipeline work competes with
 * either (submitted jobs wait in `invoke`) and neither round inherits the other's backlog. Alternating,
 * twice each; each figure is the mean of its two rounds. The emulators run on worker threads
 * (bench/lib/pipeline.ts), like the remote services they stand for.
 *
 *   npm run build && node dist/bench/intake.js
 * Environment: BENCH_INTAKE_CONNECTIONS (16), BENCH_INTAKE_SECONDS (4 per round).
 */
import { pathToFileURL } from 'node:url';
import type { HttpFunctionDefinition } from '../functions/definitions.js';
import { startDevHost } from '../local/devhost/index.js';
import type { LocalStack } from '../local/stack.js';
import { invokeMessage } from '../shared/pipeline/outbound.js';
import { newTrace } from '../shared/telemetry/trace-context.js';
import { runAutocannon, type AutocannonOutcome } from './lib/load.js';
import { benchJobDocument, JOB_BODY, mainThreadCpuMs, startBenchStack } from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline } from './lib/rows.js';

const PART = 'intake';
const ROUNDS = 2;

/** One submission's unavoidable I/O: create the job document, send the invoke message. */
async function unavoidableIo(stack: LocalStack, key: string): Promise<void> {
  const now = Date.now();
  const job = benchJobDocument(stack.tenantId, key, now);
  const { stored } = await stack.services.jobs.create(job);
  await stack.services.publisher.send(
    invokeMessage(
      {
        kind: 'invoke',
        jobId: stored.job.id,
        tenantId: stored.job.tenantId,
        metadata: stored.job.metadata,
        traceId: stored.job.traceId,
        timings: { acceptedAt: now },
        deadlineAt: now + stack.config.JOB_DEADLINE_SECONDS * 1000,
        attempt: 0,
        hop: 0,
        request: await stack.services.jobs.requestOf(stored.job),
      },
      newTrace(),
    ),
  );
}

interface Round {
  /** Completed operations (2xx answers, or I/O pairs) per second. */
  readonly rate: number;
  /**
   * Main thread CPU per operation (where the dev host, the handlers and the SDK clients run; the
   * emulators have their own thread), from the Linux per-thread clock; the main event loop's busy time
   * per operation where that clock is not available.
   */
  readonly mainCpuMs: number;
}

/** Runs `work` and reports its rate and the main thread's CPU per operation. */
async function measured(work: () => Promise<number>): Promise<Round> {
  const cpuBefore = mainThreadCpuMs();
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const done = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = mainThreadCpuMs();
  const mainMs =
    cpuBefore !== undefined && cpuAfter !== undefined
      ? cpuAfter - cpuBefore
      : performance.eventLoopUtilization(loopBefore).active;
  return { rate: done / seconds, mainCpuMs: done === 0 ? 0 : mainMs / done };
}

/** `connections` loops for `seconds`, each doing the unavoidable I/O back to back. */
function baselineRound(stack: LocalStack, connections: number, seconds: number, round: number) {
  return measured(async () => {
    const deadline = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: connections }, async (_, loop) => {
        for (let index = 0; performance.now() < deadline; index += 1) {
          await unavoidableIo(stack, `intake-floor-${round}-${loop}-${index}`);
          done += 1;
        }
      }),
    );
    return done;
  });
}

function autocannonRound(url: string, apiKey: string, connections: number, seconds: number) {
  let outcome: AutocannonOutcome | undefined;
  return measured(async () => {
    outcome = await runAutocannon({
      url,
      headers: { 'api-key': apiKey, 'content-type': 'application/json' },
      body: JOB_BODY,
      connections,
      durationSeconds: seconds,
    });
    return outcome.ok;
  }).then((round) => ({ ...round, outcome: outcome as AutocannonOutcome }));
}

/**
 * The HTTP floor: a route that reads the JSON body and answers 202 with a small JSON body and a
 * Location header, on the same dev host code, so the host's own cost (node:http, @azure/functions'
 * request and response objects) can be told apart from what the job route adds.
 */
const emptySubmit: HttpFunctionDefinition = {
  kind: 'http',
  name: 'emptySubmit',
  route: 'v1/jobs',
  methods: ['POST'],
  handler: async (request) => {
    await request.json();
    return {
      status: 202,
      jsonBody: { id: 'job_0', status: 'queued' },
      headers: { location: '/api/v1/jobs/job_0' },
    };
  },
};

const quietHostLog = { debug() {}, info() {}, warn() {}, error() {} };

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export async function runIntakeBenchmark(
  options: { connections?: number; seconds?: number } = {},
): Promise<PartResult> {
  const connections = options.connections ?? (Number(process.env.BENCH_INTAKE_CONNECTIONS) || 16);
  const seconds = options.seconds ?? (Number(process.env.BENCH_INTAKE_SECONDS) || 4);
  const post: Round[] = [];
  const empty: Round[] = [];
  const floor: Round[] = [];
  let refused = 0;
  let last: AutocannonOutcome | undefined;
  // A fresh stack per round: the embedded Cosmos DB answers the in-flight COUNT by scanning every job
  // document, so documents left by earlier rounds would slow later ones (Cosmos DB uses its index).
  for (let round = 1; round <= ROUNDS; round += 1) {
    // The front door alone: HTTP routes without the queue triggers (see the header).
    const stack = await startBenchStack({ functions: 'http' });
    const emptyHost = await startDevHost({ definitions: [emptySubmit], port: 0, log: quietHostLog });
    const postUrl = `${stack.apiUrl}/v1/jobs`;
    const emptyUrl = `${emptyHost.url}/${emptyHost.settings.routePrefix}/v1/jobs`;
    try {
      // Warm-up of every path (links, caches, handler modules, JIT), not counted.
      await baselineRound(stack, connections, 0.3, 0);
      await autocannonRound(postUrl, stack.apiKey, connections, 2);
      await autocannonRound(emptyUrl, stack.apiKey, connections, 1);
      const posted = await autocannonRound(postUrl, stack.apiKey, connections, seconds);
      refused += posted.outcome.non2xx + posted.outcome.errors;
      last = posted.outcome;
      post.push(posted);
      empty.push(await autocannonRound(emptyUrl, stack.apiKey, connections, seconds));
      // Last: it writes the most documents and reads none.
      floor.push(await baselineRound(stack, connections, seconds, round));
    } finally {
      await emptyHost.close();
      await stack.close();
    }
  }
  const postRate = mean(post.map((r) => r.rate));
  const floorRate = mean(floor.map((r) => r.rate));
  const emptyRate = mean(empty.map((r) => r.rate));
  // Per-operation times add when one core is the limit: host floor + I/O floor, as a rate.
  const composedRate = 1 / (1 / floorRate + 1 / emptyRate);
  const ratio = postRate / floorRate;
  const cpu = (rounds: Round[]) => round(mean(rounds.map((r) => r.mainCpuMs)), 2);
  const rates = (rounds: Round[]) => rounds.map((r) => round(r.rate, 1)).join(', ');
  return {
    rows: [
      {
        ...withBaseline(
          {
            part: PART,
            metric: `POST /api/v1/jobs accepted/s, ${connections} connections (autocannon; non-2xx or errors: ${refused})`,
            value: round(postRate, 1),
            unit: 'req/s',
            target: 'ratio >= 0.8',
          },
          'create + send alone',
          round(floorRate, 1),
        ),
        met: ratio >= 0.8,
      },
      {
        part: PART,
        metric: 'POST latency under that load, p50 / p99 (autocannon, last round)',
        value: last?.latencyP50 ?? 0,
        unit: `ms / ${last?.latencyP99 ?? 0} ms`,
      },
      withBaseline(
        {
          part: PART,
          metric: 'HTTP floor: same dev host, a route that reads the body and answers 202',
          value: round(emptyRate, 1),
          unit: 'req/s',
        },
        'create + send alone',
        round(floorRate, 1),
      ),
      withBaseline(
        {
          part: PART,
          metric: 'POST vs HTTP floor + I/O floor (per-request times added; what the job route adds)',
          value: round(postRate, 1),
          unit: 'req/s',
        },
        'composed floor',
        round(composedRate, 1),
      ),
      withBaseline(
        {
          part: PART,
          metric:
            'main thread CPU per POST (dev host + handler + SDK clients; emulators on their own thread)',
          value: cpu(post),
          unit: 'ms',
        },
        'create + send alone',
        cpu(floor),
      ),
      withBaseline(
        {
          part: PART,
          metric: 'main thread CPU per request, HTTP floor route',
          value: cpu(empty),
          unit: 'ms',
        },
        'create + send alone',
        cpu(floor),
      ),
    ],
    details: [
      '### Intake efficiency: method',
      '',
      `${connections} concurrent connections, ${seconds} s per measurement; each of ${ROUNDS} rounds starts a fresh stack, warms`,
      'every path up, then measures POST, the HTTP floor route and the I/O alone in that order',
      `(POST: ${rates(post)} req/s; I/O alone: ${rates(floor)} ops/s; HTTP floor: ${rates(empty)} req/s).`,
      "The baseline calls the stack's own CosmosJobStore.create and ServiceBusPublisher.send; the HTTP path adds",
      'HTTP (the dev host standing in for the Functions host, with `@azure/functions` request and response',
      'objects), authentication (cached API key record, SHA-256 of the key), the submission gate (cached tenant,',
      'rate-limit tokens leased in chunks) and validation. Both run alone: the dev host serves the HTTP routes',
      'without the queue triggers, so the jobs wait in `invoke` and no pipeline work competes with either.',
      'The emulators run on worker threads; the load generator (autocannon) is a separate process on the same',
      'two cores, which the in-process baseline does not need. The HTTP floor route runs on a second dev host',
      'in the same process and reads the body and answers 202 without any I/O.',
    ].join('\n'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runIntakeBenchmark());
}
