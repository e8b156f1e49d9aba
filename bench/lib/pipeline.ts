/**
 * Driving the local stack from a benchmark: start it quietly with an instant model and the emulators on
 * worker threads, submit jobs over HTTP or the intake queue, wait for a condition without touching
 * Cosmos DB (reads there would be counted as the pipeline's), then read the finished jobs back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { jobIdFor, requestHashOf } from '../../shared/jobs/ids.js';
import type { JobDocument } from '../../shared/jobs/job.js';
import { MAIN_INSTANCE_FUNCTIONS } from '../../local/threads/host-instances.js';
import { DEFAULT_THREADING, type EmulatorThreading } from '../../local/threads/stack-emulators.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { newTrace } from '../../shared/telemetry/trace-context.js';

/** A small, typical job: what a Copilot-style feature sends. */
export const JOB_REQUEST = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a concise assistant.' },
    { role: 'user', content: 'Summarise in one sentence why queues decouple producers from consumers.' },
  ],
  max_tokens: 64,
  metadata: { team: 'bench' },
};

export const JOB_BODY = JSON.stringify(JOB_REQUEST);

/** The queued job document accept would create for JOB_REQUEST: what baselines write without the use case. */
export function benchJobDocument(tenantId: string, idempotencyKey: string, nowMs = Date.now()): JobDocument {
  const { metadata, ...request } = JOB_REQUEST;
  const now = new Date(nowMs).toISOString();
  return {
    id: jobIdFor(tenantId, idempotencyKey),
    tenantId,
    status: 'queued',
    idempotencyKey,
    requestHash: requestHashOf(JOB_REQUEST),
    request: request as JobDocument['request'],
    metadata,
    source: 'http',
    traceId: newTrace().traceId,
    createdAt: now,
    updatedAt: now,
  };
}

/** The model answers at once: what remains is the platform's own time. */
export const INSTANT_MODEL = { timeToFirstTokenMs: 0, perTokenMs: 0 } as const;

/**
 * The deployment the pipeline benchmarks call: 10M tokens per minute, i.e. 60,000 requests per minute
 * (Azure grants 6 RPM per 1,000 TPM), so quota never paces their load. With the local stack's default
 * (1M TPM: 100 requests/s, enforced per 10 s window) a 100 jobs/s run sat exactly at the request limit
 * and every window's end held jobs back for up to a second, which is quota pacing working, not
 * platform overhead. Pacing has its own benchmark (bench/model-quota.ts).
 */
export const BENCH_DEPLOYMENTS = [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 10_000_000 }] as const;

/**
 * Errors only. autocannon closes its connections when its time is up, so requests still in flight end
 * with "Premature close" in the handler: expected at the end of every round, so not printed.
 */
const benchLogger = createLogger({
  level: 'error',
  sink: (_level, line) => {
    if (!line.includes('Premature close')) process.stderr.write(`${line}\n`);
  },
});

/**
 * Where the emulators run: on worker threads by default, like the separate services they stand for in
 * Azure (their CPU is not the platform's, and the stack uses both cores). BENCH_EMULATOR_THREADS=off
 * runs them on the main event loop as before, 'one' or 'each' picks a thread layout (for comparisons).
 */
export function benchEmulatorThreads(): EmulatorThreading {
  const setting = process.env.BENCH_EMULATOR_THREADS;
  if (setting === 'off') return false;
  if (setting === 'one' || setting === 'each') return setting;
  return true;
}

/**
 * CPU time (user + system, ms) of the main thread alone, where the dev host, the functions and the SDK
 * clients run: process.cpuUsage() counts every thread (emulators, load generator). Linux only (from
 * /proc/self/task/<main thread>/stat, in clock ticks of 10 ms); undefined elsewhere.
 */
export function mainThreadCpuMs(): number | undefined {
  return threadCpuMs(process.pid);
}

/**
 * CPU time (ms) of one thread of this process by its OS thread id (a host instance's `osThreadId`);
 * undefined when unknown or not on Linux.
 */
export function threadCpuMs(osThreadId: number | undefined): number | undefined {
  if (osThreadId === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${osThreadId}/stat`, 'utf8');
    // Fields after "(comm) ": state is the first, utime the 12th, stime the 13th (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** CPU time (ms) of every thread of this process by OS thread id (Linux); empty elsewhere. */
export function allThreadsCpuMs(): Map<number, number> {
  const threads = new Map<number, number>();
  let ids: string[];
  try {
    ids = readdirSync('/proc/self/task');
  } catch {
    return threads;
  }
  for (const id of ids) {
    const cpuMs = threadCpuMs(Number(id));
    // A thread may end between the listing and the read.
    if (cpuMs !== undefined) threads.set(Number(id), cpuMs);
  }
  return threads;
}

/** Where the emulators ran, for the methods text of a benchmark. */
export function emulatorPlacement(): string {
  const threading = benchEmulatorThreads();
  const layout = threading === true ? DEFAULT_THREADING : threading;
  if (layout === false) return 'the emulators on the main event loop with the dev host';
  return layout === 'one'
    ? 'the emulators (Cosmos DB, Service Bus, model simulator) together on one worker thread, like a separate service'
    : 'each emulator (Cosmos DB, Service Bus, model simulator) on its own worker thread, like separate services';
}

/**
 * Host instances for the overhead benchmark's target rows: 1 by default (the main thread's dev host).
 * A Function App scaled out to a second instance on a worker thread (BENCH_HOST_INSTANCES=2) measured
 * worse on this 2-core machine, whose cores the emulators, the load generator and V8's threads already
 * share; the overhead benchmark reports that layout as a comparison row. BENCH_MAIN_FUNCTIONS=http keeps
 * the queue triggers off the main instance when there are several (a layout comparison).
 */
export function benchHostInstances(): { hostInstances: number; mainInstanceFunctions?: 'all' | 'http' } {
  const count = Number(process.env.BENCH_HOST_INSTANCES) || 1;
  const main = process.env.BENCH_MAIN_FUNCTIONS;
  return {
    hostInstances: count,
    ...(main === 'all' || main === 'http' ? { mainInstanceFunctions: main } : {}),
  };
}

/** Where the host instances ran, for the methods text of a benchmark. */
export function instancePlacement(hostInstances: number, mainInstanceFunctions?: 'all' | 'http'): string {
  const receivers =
    benchQueueListener() === 'thread'
      ? "; the main instance's Service Bus receivers (receive, lock renewal, settlement) on a listener thread, as the Functions host receives outside the Node.js worker"
      : '';
  if (hostInstances <= 1)
    return `one Functions host instance: the dev host (HTTP and every queue trigger), the functions and the SDK clients on the main thread${receivers}`;
  const main =
    (mainInstanceFunctions ?? MAIN_INSTANCE_FUNCTIONS) === 'http'
      ? 'HTTP only'
      : 'HTTP and the queue triggers';
  return `${hostInstances} Functions host instances competing for the same queues: the main thread's (${main}) and ${hostInstances - 1} on worker threads (queue triggers, receiving on their own thread), each with its own services and SDK clients${receivers}`;
}

/**
 * Where the main instance's queue triggers receive: on a listener thread by default, as the Functions
 * host receives outside the Node.js worker (which then only runs the functions); BENCH_QUEUE_LISTENER=
 * in-process puts the receivers on the main thread (the stack's default, which the tests use).
 */
export function benchQueueListener(): 'in-process' | 'thread' {
  return process.env.BENCH_QUEUE_LISTENER === 'in-process' ? 'in-process' : 'thread';
}

export function startBenchStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    logger: benchLogger,
    modelLatency: INSTANT_MODEL,
    deployments: BENCH_DEPLOYMENTS,
    emulatorThreads: benchEmulatorThreads(),
    queueListener: benchQueueListener(),
    ...options,
    // Host instances on worker threads log with their own logger at LOG_LEVEL: errors only, like this one.
    env: { LOG_LEVEL: 'error', ...options.env },
  });
}

export interface Submitted {
  readonly status: number;
  readonly id: string;
}

export async function submitOverHttp(stack: LocalStack, idempotencyKey?: string): Promise<Submitted> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: {
      'api-key': stack.apiKey,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JOB_BODY,
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 202 || typeof body.id !== 'string')
    throw new Error(`POST /v1/jobs answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { status: response.status, id: body.id };
}

export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
  pollMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Reads jobs back through the stack's own store (call after taking any operation counts). */
export async function readJobs(stack: LocalStack, ids: readonly string[]): Promise<JobDocument[]> {
  const jobs: JobDocument[] = [];
  for (const id of ids) {
    const stored = await stack.services.jobs.get(stack.tenantId, id);
    if (!stored) throw new Error(`job ${id} is missing`);
    jobs.push(stored.job);
  }
  return jobs;
}

/** Every job of the dev tenant in one single-partition query (for runs of thousands of jobs). */
export async function readAllJobs(stack: LocalStack): Promise<JobDocument[]> {
  const { resources } = await stack.services.database
    .container('jobs')
    .items.query<JobDocument>(
      { query: 'SELECT * FROM c WHERE c.tenantId = @t', parameters: [{ name: '@t', value: stack.tenantId }] },
      { partitionKey: stack.tenantId },
    )
    .fetchAll();
  return resources;
}
