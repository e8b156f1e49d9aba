/**
 * Stopping the local stack while jobs are being submitted: once the shutdown begins no submission is
 * answered 202 unless its job is kept. Requests sent after it began are refused (503 with
 * Retry-After, or the connection is refused); every 202 names a job that a restart from the same data
 * folder still has, and that then finishes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';

const quiet = createLogger({ level: 'error', sink: () => {} });
const dataDir = mkdtempSync(join(tmpdir(), 'pp-shutdown-'));
const stacks: LocalStack[] = [];

afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  readonly sentAt: number;
  readonly status: number;
  readonly id?: string;
  readonly retryAfter?: string | null;
}

async function submit(stack: LocalStack, key: string): Promise<Answer> {
  const sentAt = performance.now();
  try {
    const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: key }],
        max_tokens: 16,
      }),
    });
    const body = (await response.json()) as { id?: string };
    return {
      sentAt,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      ...(body.id ? { id: body.id } : {}),
    };
  } catch {
    return { sentAt, status: 0 }; // connection refused or closed: nothing was accepted
  }
}

describe('Ctrl-C on the local stack', () => {
  it('refuses new submissions once the shutdown began and keeps every job it answered 202', async () => {
    // A job whose invoke message comes back after the restart waits out the model call bound (the model
    // timeout per deployment, shared/pipeline/invoke-repeat.ts) before it calls again: a short timeout
    // keeps that wait inside the test's deadline.
    const env = { MODEL_TIMEOUT_MS: '3000' };
    const stack = await startLocalStack({ port: 0, logger: quiet, dataDir, drainMs: 0, env });
    const answers: Answer[] = [];
    let next = 0;
    let shutdownAt = Number.POSITIVE_INFINITY;
    let closing: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        // Each sender keeps going until one of its requests is refused after the shutdown began.
        for (;;) {
          const answer = await submit(stack, `shutdown-${next++}`);
          answers.push(answer);
          if (!closing && answers.filter((a) => a.status === 202).length >= 40) {
            shutdownAt = performance.now();
            closing = stack.close();
          }
          if (answer.sentAt > shutdownAt && answer.status !== 202) return;
        }
      }),
    );
    await closing;

    const afterShutdown = answers.filter((a) => a.sentAt > shutdownAt);
    expect(afterShutdown.length).toBeGreaterThan(0);
    expect(afterShutdown.filter((a) => a.status === 202)).toEqual([]);
    for (const refused of afterShutdown.filter((a) => a.status === 503)) expect(refused.retryAfter).toBe('5');
    expect(afterShutdown.every((a) => a.status === 503 || a.status === 0)).toBe(true);

    const accepted = answers.filter((a) => a.status === 202).map((a) => a.id ?? '');
    const restarted = await startLocalStack({ port: 0, logger: quiet, dataDir, env });
    stacks.push(restarted);
    expect(restarted.apiKey).toBe(stack.apiKey);
    for (const id of accepted) {
      expect(await restarted.services.jobs.get(restarted.tenantId, id), id).toBeDefined();
    }
    // Jobs whose messages were still queued at the stop go on from there.
    const deadline = Date.now() + 20_000;
    for (const id of accepted) {
      for (;;) {
        const stored = await restarted.services.jobs.get(restarted.tenantId, id);
        if (stored?.job.status === 'succeeded') break;
        if (Date.now() > deadline) throw new Error(`${id} is ${stored?.job.status ?? 'missing'}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }, 60_000);
});
