/**
 * One host instance of the fleet quota benchmark (bench/fleet-quota.ts), on a worker thread: its own
 * model layer, its own Cosmos DB client and lease store, its own share of the arriving jobs, and an
 * in-process queue with 16 consumers (Functions' maxConcurrentCalls) standing in for Service Bus. A
 * paced or retried job goes back on the queue after its delay, as a scheduled message would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CosmosClient } from '@azure/cosmos';
import { CosmosQuotaLeaseStore } from '../shared/cosmos/quota-lease-store.js';
import type { ChatRequest } from '../shared/jobs/schema.js';
import { decideModelRetry } from '../shared/model/attempt-policy.js';
import { createModelClient } from '../shared/model/client.js';
import type { LeaseStoreStats } from '../shared/model/coordination/lease-store.js';
import { DeploymentSettingsSchema } from '../shared/model/settings.js';
import { quotaCost } from '../shared/model/tokens.js';

export interface InstanceInit {
  readonly index: number;
  readonly modelUrl: string;
  readonly cosmosEndpoint: string;
  readonly cosmosKey: string;
  /** Unique per scenario, so each scenario starts with an empty lease document. */
  readonly deployment: string;
  /** `leases`: fleet coordination; a number: today's fixed per-instance share. */
  readonly mode: 'leases' | number;
  readonly tpm: number;
  readonly windowMs: number;
  /** This instance's arrivals, in tokens per minute of quota cost. */
  readonly arrivalTpm: number;
  readonly maxTokens: number;
  readonly concurrency: number;
}

export interface InstanceResult {
  readonly completed: number;
  readonly failed: number;
  readonly reschedules: number;
  readonly arrived: number;
  readonly unfinished: number;
  readonly store: LeaseStoreStats;
  readonly share: number;
}

export type InstanceMessage =
  { readonly type: 'ready' } | { readonly type: 'result'; readonly result: InstanceResult };

const init = workerData as InstanceInit;
const TOPICS = ['invoices', 'support tickets', 'release notes', 'meeting minutes', 'contracts'];

/** Deterministic prompts of varied length, as in bench/model-quota.ts. */
function request(id: number): ChatRequest {
  const topic = TOPICS[id % TOPICS.length]!;
  const detail = ' Keep names, dates and amounts exactly as written.'.repeat(1 + (id % 4));
  return {
    model: 'bench',
    messages: [
      { role: 'system', content: `You summarise ${topic} for busy readers.${detail}` },
      { role: 'user', content: `Summarise document ${id} about ${topic} in three bullet points.` },
    ],
    max_tokens: init.maxTokens,
  };
}

interface Job {
  readonly id: number;
  attempt: number;
}

const cosmos = new CosmosClient({
  endpoint: init.cosmosEndpoint,
  key: init.cosmosKey,
  connectionPolicy: { enableEndpointDiscovery: false },
});
const store = new CosmosQuotaLeaseStore(cosmos.database('prompt-pipeline').container('tenants'));
const leases = init.mode === 'leases';
const client = createModelClient(
  {
    azure: false,
    pools: {
      bench: [
        DeploymentSettingsSchema.parse({
          name: init.deployment,
          deployment: 'bench',
          endpoint: init.modelUrl,
          auth: 'apiKey',
          tpm: init.tpm,
          tokenWindowMs: init.windowMs,
          requestWindowMs: init.windowMs,
        }),
      ],
    },
    apiKey: 'bench-key',
    apiVersion: '2024-10-21',
    timeoutMs: 30_000,
    defaultMaxTokens: init.maxTokens,
    instanceShare: leases ? 1 : init.mode,
    breakerFailures: 5,
    breakerOpenMs: 30_000,
    ...(leases ? { coordination: { fallbackShare: 0.1 } } : {}),
  },
  { logger: { warn: () => undefined, error: () => undefined }, quotaLeases: store },
);

const queue: Job[] = [];
const waiters: Array<(job: Job | undefined) => void> = [];
const timers = new Set<NodeJS.Timeout>();
let stopped = false;
const counts = { completed: 0, failed: 0, reschedules: 0, arrived: 0 };

function push(job: Job): void {
  if (stopped) return;
  const waiter = waiters.shift();
  if (waiter) waiter(job);
  else queue.push(job);
}

function take(): Promise<Job | undefined> {
  const job = queue.shift();
  if (job || stopped) return Promise.resolve(job);
  return new Promise((resolve) => waiters.push(resolve));
}

async function consumer(): Promise<void> {
  const deadlineAt = Date.now() + 24 * 3_600_000;
  for (;;) {
    const job = await take();
    if (!job) return;
    try {
      await client.complete(request(job.id), {
        jobId: String(job.id),
        tenantId: 'bench',
        attempt: job.attempt,
      });
      if (!stopped) counts.completed += 1;
    } catch (error) {
      const decision = decideModelRetry(error, {
        attempt: job.attempt,
        maxAttempts: 8,
        deadlineAt,
        now: Date.now(),
      });
      if (decision.kind === 'fail') {
        counts.failed += 1;
        continue;
      }
      counts.reschedules += 1;
      job.attempt = decision.nextAttempt;
      const timer = setTimeout(() => {
        timers.delete(timer);
        push(job);
      }, decision.delayMs);
      timers.add(timer);
    }
  }
}

function startArrivals(): () => void {
  let averageCost = 0;
  for (let i = 0; i < 12; i += 1) averageCost += quotaCost(request(i), init.maxTokens) / 12;
  const jobsPerMs = init.arrivalTpm / 60_000 / averageCost;
  const started = Date.now();
  let next = 0;
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - started) * jobsPerMs);
    while (next < due) {
      // Ids apart per instance, so prompts (and their costs) follow the same mix on every instance.
      push({ id: next * 16 + init.index, attempt: 0 });
      next += 1;
      counts.arrived += 1;
    }
  }, 10);
  return () => clearInterval(timer);
}

let stopArrivals: (() => void) | undefined;
let consumers: Promise<void>[] = [];
parentPort!.on('message', (message: { type: 'start' } | { type: 'stop' }) => {
  if (message.type === 'start') {
    stopArrivals = startArrivals();
    consumers = Array.from({ length: init.concurrency }, () => consumer());
    return;
  }
  void (async () => {
    stopped = true;
    stopArrivals?.();
    for (const timer of timers) clearTimeout(timer);
    const unfinished = queue.splice(0).length + timers.size;
    for (const waiter of waiters.splice(0)) waiter(undefined);
    await Promise.all(consumers);
    const share = client.status()[0]?.share ?? 0;
    // Counted before the instance gives its lease back: the steady state's cost, not the shutdown's.
    const result: InstanceResult = { ...counts, unfinished, store: store.stats(), share };
    await client.leave();
    client.close();
    cosmos.dispose();
    parentPort!.postMessage({ type: 'result', result } satisfies InstanceMessage);
  })();
});
parentPort!.postMessage({ type: 'ready' } satisfies InstanceMessage);
