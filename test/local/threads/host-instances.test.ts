/**
 * The local stack scaled out to two Functions host instances (hostInstances: 2): the second runs on a
 * worker thread with its own services and competes for the same queues. Jobs submitted over HTTP all
 * succeed, the worker instance demonstrably runs stage messages (its own invocation counts), every
 * stage message runs exactly once across the instances, and close leaves nothing running.
 */
import { describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { createLogger } from '../../../shared/telemetry/logger.js';

/**
 * The stages an HTTP job of the dev tenant passes. Not `deliver`: the tenant has no webhook endpoints, so
 * persist skips that hop (shared/pipeline/emit-event.ts); each test asserts that it stayed at 0.
 */
const STAGE_QUEUES = ['invoke', 'postprocess', 'persist'] as const;

function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

async function submit(stack: LocalStack, key: string): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `Say hello to instance ${key}` }],
      max_tokens: 16,
    }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function waitForJob(stack: LocalStack, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': stack.apiKey } });
    const job = (await response.json()) as Record<string, unknown>;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${String(job.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits for the last stage's invocations to be counted (persist completes after the job is stored). */
async function waitForCounts(stack: LocalStack, queue: string, total: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  const counted = () =>
    stack.instances().reduce((sum, instance) => sum + (instance.invocations[queue] ?? 0), 0);
  while (counted() < total) {
    if (Date.now() > deadline) throw new Error(`${queue}: ${counted()} of ${total} invocations counted`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function runJobs(stack: LocalStack, count: number, prefix: string): Promise<void> {
  const ids = await Promise.all(Array.from({ length: count }, (_, i) => submit(stack, `${prefix}-${i}`)));
  const jobs = await Promise.all(ids.map((id) => waitForJob(stack, id)));
  for (const job of jobs) expect(job.status).toBe('succeeded');
  await waitForCounts(stack, 'persist', count);
}

async function startTwoInstances(mainInstanceFunctions?: 'all' | 'http'): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    hostInstances: 2,
    // The benchmark's layout. (In-process emulators' servers finish closing a moment after close().)
    emulatorThreads: true,
    ...(mainInstanceFunctions ? { mainInstanceFunctions } : {}),
    logger: createLogger({ level: 'error' }),
    // The worker instance logs with its own logger at the configured level: errors only here.
    env: { LOG_LEVEL: 'error' },
    modelLatency: { timeToFirstTokenMs: 0, perTokenMs: 0 },
  });
}

describe('the local stack with two host instances (scale-out on worker threads)', () => {
  it('shares stage messages between the instances as competing consumers, each message once', async () => {
    const before = liveHandles();
    const stack = await startTwoInstances('all');
    try {
      await runJobs(stack, 6, 'shared');
      const [main, worker] = stack.instances();
      expect(main).toMatchObject({ instance: 0, thread: 'main', functions: 'all' });
      expect(worker).toMatchObject({ instance: 1, thread: 'worker', functions: 'queues' });
      for (const queue of STAGE_QUEUES) {
        // Exactly once in total: no message ran on both instances, none was lost.
        expect((main?.invocations[queue] ?? 0) + (worker?.invocations[queue] ?? 0)).toBe(6);
      }
      expect((main?.invocations.deliver ?? 0) + (worker?.invocations.deliver ?? 0)).toBe(0);
      // The broker hands messages to receivers with credit in turn: both instances ran invocations.
      expect(worker?.invocations.invoke).toBeGreaterThan(0);
      expect(main?.invocations.invoke).toBeGreaterThan(0);
      expect(stack.model.stats().totals).toMatchObject({ requests: 6, succeeded: 6 });
    } finally {
      await stack.close();
    }
    for (const [kind, count] of liveHandles())
      expect({ kind, count }).toEqual({ kind, count: Math.min(count, before.get(kind) ?? 0) });
  });

  it('with the main instance on HTTP only, the worker instance runs every stage message', async () => {
    const before = liveHandles();
    const stack = await startTwoInstances('http');
    try {
      await runJobs(stack, 4, 'worker-only');
      const [main, worker] = stack.instances();
      expect(main).toMatchObject({ functions: 'http' });
      // Its own event loop did the work; on Linux it is a thread of its own with its own CPU clock.
      expect(worker?.eventLoop.active).toBeGreaterThan(0);
      if (process.platform === 'linux') expect(worker?.osThreadId).not.toBe(main?.osThreadId);
      for (const queue of STAGE_QUEUES) {
        expect(main?.invocations[queue]).toBe(0);
        expect(worker?.invocations[queue]).toBe(4);
      }
      expect(worker?.invocations.deliver).toBe(0);
    } finally {
      await stack.close();
    }
    for (const [kind, count] of liveHandles())
      expect({ kind, count }).toEqual({ kind, count: Math.min(count, before.get(kind) ?? 0) });
  });

  it('close lets the worker instance finish the messages it is running, then ends its thread', async () => {
    const before = liveHandles();
    const stack = await startLocalStack({
      port: 0,
      hostInstances: 2,
      mainInstanceFunctions: 'http',
      emulatorThreads: true,
      logger: createLogger({ level: 'error' }),
      env: { LOG_LEVEL: 'error' },
      // Each model call takes ~300 ms: long enough to close while the worker's invocations run.
      modelLatency: { timeToFirstTokenMs: 300, perTokenMs: 0 },
    });
    let closeMs = 0;
    try {
      await Promise.all([1, 2, 3].map((i) => submit(stack, `in-flight-${i}`)));
      const deadline = Date.now() + 5_000;
      while (stack.model.stats().totals.requests < 3) {
        if (Date.now() > deadline) throw new Error('the model calls did not start');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(stack.instances()[1]?.invocations.invoke).toBe(0);
    } finally {
      const started = Date.now();
      await stack.close();
      closeMs = Date.now() - started;
    }
    // The running invocations finished and were counted before the thread ended (close waited for
    // them, well inside the 30 s grace), rather than being cut off.
    expect(stack.instances()[1]?.invocations.invoke).toBe(3);
    expect(closeMs).toBeLessThan(10_000);
    for (const [kind, count] of liveHandles())
      expect({ kind, count }).toEqual({ kind, count: Math.min(count, before.get(kind) ?? 0) });
  });
});
