/**
 * `startLocalStack({ functions: 'http' })`: the front door without the queue triggers, which the intake
 * benchmark uses to measure HTTP submissions alone. A submission is accepted and its invoke message
 * waits in the queue, because nothing consumes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    functions: 'http',
    logger: createLogger({ level: 'error', sink: () => {} }),
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('local stack with HTTP functions only', () => {
  it('accepts a job and leaves its invoke message in the queue', async () => {
    const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(response.status).toBe(202);
    const job = (await response.json()) as { id: string; status: string };
    expect(job.status).toBe('queued');
    // The send completed before the 202; with no trigger the message stays available, not locked.
    expect(stack.serviceBus.stats()['invoke']).toMatchObject({ active: 1, locked: 0 });
    const read = await fetch(`${stack.apiUrl}/v1/jobs/${job.id}`, { headers: { 'api-key': stack.apiKey } });
    expect(((await read.json()) as { status: string }).status).toBe('queued');
  });
});
