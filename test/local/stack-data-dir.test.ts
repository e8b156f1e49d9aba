/**
 * `npm start -- --data-dir <folder>`: what one run accepted is there on the next start from the same
 * folder (the job's document, its queued message, the tenant and its key), and the dev API key is the
 * same. Without a folder nothing is restored.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';

const quiet = createLogger({ level: 'error', sink: () => {} });
const dataDir = mkdtempSync(join(tmpdir(), 'pp-data-'));
const open: LocalStack[] = [];

afterAll(async () => {
  await Promise.all(open.map((stack) => stack.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function getJob(stack: LocalStack, id: string): Promise<{ status: number; job?: { status: string } }> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': stack.apiKey } });
  return { status: response.status, job: (await response.json()) as { status: string } };
}

describe('the local stack with a data folder', () => {
  it('keeps a queued job, its message and the API key across a restart', async () => {
    // HTTP only: the job is accepted and its invoke message waits, as when Ctrl-C comes mid-pipeline.
    const first = await startLocalStack({ port: 0, logger: quiet, dataDir, functions: 'http' });
    expect(first.restored).toBeUndefined();
    const response = await fetch(`${first.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'api-key': first.apiKey, 'content-type': 'application/json', 'idempotency-key': 'kept-1' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await first.close();
    expect(existsSync(join(dataDir, 'cosmos.json'))).toBe(true);
    expect(existsSync(join(dataDir, 'servicebus.json'))).toBe(true);

    const second = await startLocalStack({ port: 0, logger: quiet, dataDir });
    open.push(second);
    expect(second.apiKey).toBe(first.apiKey);
    expect(second.restored?.messages).toBe(1);
    expect(second.restored?.documents).toBeGreaterThan(2);
    // The restored message drives the job on to the end, read with the same key.
    const deadline = Date.now() + 15_000;
    let read = await getJob(second, id);
    while (read.job?.status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      read = await getJob(second, id);
    }
    expect(read).toMatchObject({ status: 200, job: { status: 'succeeded' } });
    // The same idempotency key names the same job: the restored document answers for it.
    const again = await fetch(`${second.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'api-key': second.apiKey, 'content-type': 'application/json', 'idempotency-key': 'kept-1' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(((await again.json()) as { id: string }).id).toBe(id);
  }, 60_000);

  it('restores nothing without a data folder, and the dev key is still the same', async () => {
    const plain = await startLocalStack({ port: 0, logger: quiet, functions: 'http' });
    open.push(plain);
    expect(plain.restored).toBeUndefined();
    expect(plain.dataDir).toBeUndefined();
    const stored = open[0];
    if (stored) expect(plain.apiKey).toBe(stored.apiKey);
  });
});
