/**
 * One tenant's heavy input must not stall the host for the others. Before token counting was linear and
 * large prompts went to the heavy-work pool, a 60 KB prompt froze `/api/health` for 4.9 s and a 900 KB
 * one held the host at 100 % CPU for over five minutes. Here the whole local stack (emulators on their
 * own thread, as `npm start` runs them) takes such prompts while another tenant's ordinary job and the
 * health route are timed. The bound here is loose for a shared 2-core test box; bench/heavy-input.ts
 * measures the real figures.
 */
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    // Room for ~200k prompt tokens at once: at the default 1M TPM these jobs would be paced (correctly)
    // for most of a minute, which is not what this test is about.
    deployments: [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 10_000_000 }],
    emulatorThreads: true,
  },
  (started) => {
    stack = started;
  },
);

async function submit(content: string, key: string): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 16 }),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function statusOf(id: string): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': stack.apiKey } });
  return ((await response.json()) as { status: string }).status;
}

/** Health latencies sampled every 10 ms until `done` resolves. */
async function healthWhile(done: Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const started = performance.now();
    const response = await fetch(`${stack.apiUrl}/health`);
    await response.arrayBuffer();
    samples.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return samples;
}

async function untilTerminal(ids: readonly string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(ids.map(statusOf));
    if (statuses.every((s) => s !== 'queued')) return statuses;
    if (Date.now() > deadline) throw new Error(`still queued after ${timeoutMs} ms: ${statuses.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('heavy prompts from one tenant', () => {
  it('900 KB and 60 KB prompts of one repeated character and a 60 KB dense one finish while health keeps answering', async () => {
    const work = (async () => {
      const heavy = await Promise.all([
        submit('a'.repeat(900_000), 'heavy-run'),
        submit('b'.repeat(60_000), 'heavy-60k'),
        submit(
          Array.from({ length: 60_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join(
            '',
          ),
          'heavy-dense',
        ),
      ]);
      const ordinary = await submit('Write a haiku about queues', 'ordinary');
      return untilTerminal([...heavy, ordinary], 60_000);
    })();
    const samples = await healthWhile(work);
    expect(await work).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(samples.length).toBeGreaterThan(5);
    // Before: 4.9 s for the 60 KB prompt alone, minutes for the 900 KB one.
    expect(Math.max(...samples)).toBeLessThan(750);
  }, 90_000);
});
