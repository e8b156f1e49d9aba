/**
 * Intake efficiency (issue 8): `POST /api/v1/jobs` requests/s (autocannon, fixed concurrency, on a worker
 * thread) divided by the rate at which the I/O a submission cannot avoid, one Cosmos DB create of the
 * job document plus one Service Bus send of its invoke message, runs alone at the same concurrency,
 * through the same clients (the stack's own JobStore and publisher). Both run on the same stack with
 * its pipeline draining the jobs, alternating, twice each; each figure is the mean of its two rounds.
 *
 *   npm run build && node dist/bench/intake.js
 * Environment: BENCH_INTAKE_CONNECTIONS (16), BENCH_INTAKE_SECONDS (4 per round).
 */
import { pathToFileURL } from 'node:url';
import type { LocalStack } from '../local/stack.js';
import { jobIdFor, requestHashOf } from '../shared/jobs/ids.js';
import type { JobDocument } from '../shared/jobs/job.js';
import { invokeMessage } from '../shared/stages/outbound.js';
import { newTrace } from '../shared/telemetry/trace-context.js';
import { runAutocannon, type AutocannonOutcome } from './lib/load.js';
import { JOB_BODY, JOB_REQUEST, startBenchStack } from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline } from './lib/rows.js';

const PART = 'intake';

/** One submission's unavoidable I/O: create the job document, send the invoke message. */
async function unavoidableIo(stack: LocalStack, key: string): Promise<void> {
  const { metadata, ...request } = JOB_REQUEST;
  const now = Date.now();
  const job: JobDocument = {
    id: jobIdFor(stack.tenantId, key),
    tenantId: stack.tenantId,
    status: 'queued',
    idempotencyKey: key,
    requestHash: requestHashOf(JOB_REQUEST),
    request: request as JobDocument['request'],
    metadata,
    source: 'http',
    traceId: newTrace().traceId,
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
  };
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
        request: stored.job.request,
      },
      newTrace(),
    ),
  );
}

/** `connections` loops for `seconds`, each doing the unavoidable I/O back to back: operations/s. */
async function baselineRate(stack: LocalStack, connections: number, seconds: number, round: number) {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, loop) => {
      for (let index = 0; performance.now() < deadline; index += 1) {
        await unavoidableIo(stack, `intake-floor-${round}-${loop}-${index}`);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

export async function runIntakeBenchmark(
  options: { connections?: number; seconds?: number } = {},
): Promise<PartResult> {
  const connections = options.connections ?? (Number(process.env.BENCH_INTAKE_CONNECTIONS) || 16);
  const seconds = options.seconds ?? (Number(process.env.BENCH_INTAKE_SECONDS) || 4);
  const stack = await startBenchStack();
  try {
    const http = (): Promise<AutocannonOutcome> =>
      runAutocannon({
        url: `${stack.apiUrl}/v1/jobs`,
        headers: { 'api-key': stack.apiKey, 'content-type': 'application/json' },
        body: JOB_BODY,
        connections,
        durationSeconds: seconds,
      });
    // Warm-up of both paths (links, caches, JIT), not counted.
    await baselineRate(stack, connections, 1, 0);
    await runAutocannon({
      url: `${stack.apiUrl}/v1/jobs`,
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json' },
      body: JOB_BODY,
      connections,
      durationSeconds: 1,
    });
    const httpRounds: AutocannonOutcome[] = [];
    const floorRounds: number[] = [];
    for (let round = 1; round <= 2; round += 1) {
      httpRounds.push(await http());
      floorRounds.push(await baselineRate(stack, connections, seconds, round));
    }
    const httpRate = httpRounds.reduce((a, r) => a + r.requestsPerSecond, 0) / httpRounds.length;
    const floorRate = floorRounds.reduce((a, r) => a + r, 0) / floorRounds.length;
    const ratio = httpRate / floorRate;
    const refused = httpRounds.reduce((a, r) => a + r.non2xx + r.errors, 0);
    const last = httpRounds[httpRounds.length - 1];
    return {
      rows: [
        {
          ...withBaseline(
            {
              part: PART,
              metric: `POST /api/v1/jobs accepted/s, ${connections} connections (autocannon; non-2xx or errors: ${refused})`,
              value: round(httpRate, 1),
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
      ],
      details: [
        '### Intake efficiency: method',
        '',
        `${connections} concurrent connections, ${seconds} s per round, HTTP and baseline alternating, two rounds each`,
        `(HTTP rounds: ${httpRounds.map((r) => round(r.requestsPerSecond, 1)).join(', ')} req/s; baseline rounds:`,
        `${floorRounds.map((r) => round(r, 1)).join(', ')} ops/s). The baseline calls the stack's own CosmosJobStore.create and`,
        'ServiceBusPublisher.send; the HTTP path adds HTTP, authentication (API key point read), the submission',
        'gate (rate-limit patch, in-flight COUNT query) and validation. The pipeline drains both kinds of jobs.',
      ].join('\n'),
    };
  } finally {
    await stack.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runIntakeBenchmark());
}
