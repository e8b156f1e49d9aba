/**
 * Cost per job, measured: the real Cosmos DB and Service Bus clients are instrumented
 * (bench/instrument/*), the whole local stack runs, jobs go through every stage, and every operation is
 * counted. Two front doors are measured separately, because they cost differently:
 * - HTTP (`POST /api/v1/jobs`): the request also authenticates its API key and passes the tenant's
 *   submission gate (rate limit, jobs in flight, budget), which are per request, not per job stage;
 * - the `intake` queue: the producer's own send, then the same pipeline with no front-door reads.
 * Used by bench/cost.ts (figures) and test/cost/operation-counts.test.ts (the same counts, asserted).
 */
import { ServiceBusClient } from '@azure/service-bus';
import type { LocalStack } from '../local/stack.js';
import type { JobDocument } from '../shared/jobs/job.js';
import { instrumentCosmos, type CosmosOperation } from './instrument/cosmos-counter.js';
import { instrumentServiceBus, type ServiceBusOperation } from './instrument/servicebus-counter.js';
import { JOB_REQUEST, readJobs, startBenchStack, submitOverHttp, waitUntil } from './lib/pipeline.js';
import { jobIdFor } from '../shared/jobs/ids.js';

export interface CostRun {
  readonly via: 'http' | 'queue';
  readonly jobs: number;
  readonly cosmos: readonly CosmosOperation[];
  readonly serviceBus: readonly ServiceBusOperation[];
  /** The finished jobs, read back after counting stopped. */
  readonly finished: readonly JobDocument[];
}

export interface CostMeasurement {
  readonly http: CostRun;
  readonly queue: CostRun;
}

export interface CostOptions {
  /** Jobs per front door (default 20). */
  readonly jobs?: number;
  /** How long to wait for the jobs to finish (default 20 s). */
  readonly timeoutMs?: number;
}

/**
 * Starts an instrumented local stack, warms it up (first-use metadata reads, link attaches, caches), then
 * runs `jobs` jobs over HTTP and `jobs` over the intake queue, one after the other, submitted one at a
 * time so that the counts are deterministic (concurrent submissions of one tenant can race on its
 * rate-limit document, which costs extra reads, by design).
 */
export async function measureCost(options: CostOptions = {}): Promise<CostMeasurement> {
  const jobs = options.jobs ?? 20;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const cosmos = instrumentCosmos();
  const serviceBus = instrumentServiceBus();
  let stack: LocalStack | undefined;
  let producer: ServiceBusClient | undefined;
  try {
    // Receivers on this thread: the instrumentation counts this thread's SDK clients, and the receive
    // side (receive, complete) is half of what it counts. The operations are the same on either thread.
    stack = await startBenchStack({ queueListener: 'in-process' });
    producer = new ServiceBusClient(stack.serviceBus.connectionString);
    const intake = producer.createSender('intake');
    // A job is done when persist completed: its terminal state is written and, for a tenant with webhook
    // endpoints, its deliver message sent. The bench tenant has none, so no job goes through `deliver`
    // (persist skips that hop: shared/pipeline/emit-event.ts).
    const persistCompletions = () =>
      serviceBus.operations().filter((op) => op.kind === 'complete' && op.queue === 'persist' && op.ok)
        .length;

    // Warm-up: one job through each front door, not counted.
    const warm = await submitOverHttp(stack, 'cost-warm-http');
    await intake.sendMessages(intakeMessage(stack.tenantId, 'cost-warm-queue'));
    await waitUntil(() => persistCompletions() >= 2, timeoutMs, 'the warm-up jobs');
    await readJobs(stack, [warm.id, jobIdFor(stack.tenantId, 'cost-warm-queue')]);

    const run = async (via: 'http' | 'queue'): Promise<CostRun> => {
      cosmos.reset();
      serviceBus.reset();
      const ids: string[] = [];
      for (let index = 0; index < jobs; index += 1) {
        const key = `cost-${via}-${index}`;
        if (via === 'http') ids.push((await submitOverHttp(stack!, key)).id);
        else {
          await intake.sendMessages(intakeMessage(stack!.tenantId, key));
          ids.push(jobIdFor(stack!.tenantId, key));
        }
      }
      await waitUntil(() => persistCompletions() >= jobs, timeoutMs, `${jobs} jobs via ${via} to finish`);
      // A short settle so that late settlements of the last messages are in the counts.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const counted = { cosmos: cosmos.operations(), serviceBus: serviceBus.operations() };
      const finished = await readJobs(stack!, ids);
      return { via, jobs, ...counted, finished };
    };

    const http = await run('http');
    const queue = await run('queue');
    return { http, queue };
  } finally {
    await producer?.close();
    await stack?.close();
    serviceBus.restore();
    cosmos.restore();
  }
}

function intakeMessage(tenantId: string, idempotencyKey: string) {
  return {
    body: JOB_REQUEST,
    messageId: idempotencyKey,
    contentType: 'application/json',
    applicationProperties: { tenantId, idempotencyKey },
  };
}

/** Where a Cosmos DB operation belongs: the job's own document, the HTTP front door, or delivery. */
export function cosmosCategory(op: CosmosOperation): string {
  if (op.container === 'jobs')
    return op.kind === 'query' ? 'front door: limit queries (jobs)' : 'job document';
  if (op.container === 'tenants') {
    if (op.target.startsWith('apikey:')) return 'front door: API key';
    if (op.target.startsWith('ratelimit:')) return 'front door: rate limit';
    return 'front door: tenant record';
  }
  // The tenant's endpoint list, read by persist's subscriber check and by deliver (one cache for both).
  if (op.container === 'webhooks') return 'webhooks: endpoint list';
  // invoke keeps each completion before passing it on (one model charge per attempt).
  if (op.container === 'payloads')
    return op.target.includes(':completion:') ? 'kept completion' : 'claim check';
  return op.container;
}

export const isFrontDoor = (op: CosmosOperation): boolean => cosmosCategory(op).startsWith('front door');
