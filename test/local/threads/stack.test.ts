/**
 * The local stack with its emulators on worker threads (as `npm start` runs them) and the queue triggers
 * receiving on a listener thread (as the benchmarks add): a job submitted over HTTP goes through every
 * stage to `succeeded`, the handles keep working across the thread boundaries, and close leaves nothing
 * running.
 */
import { describe, expect, it } from 'vitest';
import { startLocalStack } from '../../../local/stack.js';
import { createLogger } from '../../../shared/telemetry/logger.js';

/** Handles that keep a process alive, by kind (sockets, servers, worker ports, timers). */
function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

async function waitForJob(apiUrl: string, apiKey: string, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': apiKey } });
    const job = (await response.json()) as Record<string, unknown>;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${String(job.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the local stack with emulator and listener threads (as the benchmarks run it)', () => {
  it('runs a job submitted over HTTP to succeeded and closes without leaking handles', async () => {
    const before = liveHandles();
    const stack = await startLocalStack({
      port: 0,
      emulatorThreads: true,
      queueListener: 'thread',
      logger: createLogger({ level: 'error' }),
      modelLatency: { timeToFirstTokenMs: 0, perTokenMs: 0 },
    });
    let apiUrl = '';
    try {
      apiUrl = stack.apiUrl;
      const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
        method: 'POST',
        headers: {
          'api-key': stack.apiKey,
          'content-type': 'application/json',
          'idempotency-key': 'threads-1',
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Say hello from another thread' }],
          max_tokens: 32,
        }),
      });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      const job = await waitForJob(stack.apiUrl, stack.apiKey, id);
      expect(job).toMatchObject({ id, status: 'succeeded' });
      // Each stage ran once on this thread, from messages the listener thread received and settled.
      await expect
        .poll(() => stack.instances()[0]?.invocations)
        .toMatchObject({ invoke: 1, postprocess: 1, persist: 1 });
      expect(Object.values(stack.serviceBus.stats()).every((queue) => queue.locked === 0)).toBe(true);
      if (process.platform === 'linux') expect(stack.host.queueListenerThreadId).toBeTypeOf('number');
      // Synchronous calls answered by the emulators' own threads.
      expect(stack.model.stats().totals).toMatchObject({ requests: 1, succeeded: 1 });
      const queues = stack.serviceBus.stats();
      expect(Object.keys(queues)).toEqual(
        expect.arrayContaining(['intake', 'invoke', 'postprocess', 'persist', 'deliver']),
      );
    } finally {
      await stack.close();
    }
    // Nothing the stack opened is left: no kind of handle has more instances than before it started
    // (a timer of the test runner's that existed before may have ended meanwhile).
    for (const [kind, count] of liveHandles())
      expect({ kind, count }).toEqual({ kind, count: Math.min(count, before.get(kind) ?? 0) });
    await expect(fetch(`${apiUrl}/health`)).rejects.toThrow();
  });
});
