/**
 * Routing by deadline through the whole local stack: a real-time deployment and a Global Batch deployment
 * of the same model on the simulator. Interactive jobs and work whose window is too short for a batch run
 * real-time; work with a far deadline (single jobs with `expires_after`, Batches API lines) goes through
 * the provider's Files and Batches APIs and comes back into the jobs' pipeline priced as batch; a provider
 * batch still running when its lines' deadline nears is cancelled and the lines finish real-time in time.
 * Time is compressed: a batch is given 8 s (`turnaroundSeconds`), "near the deadline" is 2 s, and the
 * timers run from the test (`runTimer`) instead of on their schedule.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createChatBatch, lineJobIds, readJob } from '../../bench/lib/batch-api.js';
import type { LocalStack } from '../../local/stack.js';
import { DEFAULT_PRICE_TABLE } from '../../shared/model/settings.js';
import { costOf } from '../../shared/model/usage.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;
let client: OpenAI;

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    globalBatch: {
      alias: 'gpt-4o-mini',
      turnaroundSeconds: 8,
      timing: { validatingMs: 100, processingMs: 400, finalizingMs: 100, cancellingMs: 50 },
    },
    env: {
      BATCH_MIN_WINDOW_SECONDS: '1',
      CAPACITY_NEAR_DEADLINE_SECONDS: '2',
      CAPACITY_BACKGROUND_RETRY_SECONDS: '1',
    },
  },
  (started) => {
    stack = started;
    client = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
  },
);

async function submit(content: string, key: string, expiresAfter?: number): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content }],
      max_tokens: 16,
      ...(expiresAfter ? { expires_after: expiresAfter } : {}),
    }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** Runs both sweeps until every job named ended and every batch finished. */
async function driveUntilDone(jobIds: () => Promise<string[]>, batchIds: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await stack.host.runTimer('batchSweep');
    await stack.host.runTimer('capacitySweep');
    const batches = await Promise.all(batchIds.map((id) => client.batches.retrieve(id)));
    const open = batches.filter((b) => !['completed', 'failed', 'expired', 'cancelled'].includes(b.status));
    if (open.length === 0) {
      const jobs = await Promise.all((await jobIds()).map((id) => readJob(stack.apiUrl, stack.apiKey, id)));
      if (jobs.every((j) => j.status !== 'queued')) return jobs;
    }
    if (Date.now() > deadline) throw new Error(`still running: ${open.map((b) => b.status).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('routing by deadline (local stack)', () => {
  it('sends far-deadline work to Global Batch at batch prices and the rest real-time, missing no deadline', async () => {
    const before = stack.model.batchStats();
    const interactive = await Promise.all([1, 2, 3].map((i) => submit(`interactive ${i}`, `rt-${i}`)));
    const deferrable = await Promise.all([1, 2, 3].map((i) => submit(`overnight ${i}`, `gb-${i}`, 60)));
    const farBatch = await createChatBatch(client, 'far', 4, '1m');
    const nearBatch = await createChatBatch(client, 'near', 3, '6s');
    const submittedAt = Date.now();
    let farLines: string[] = [];
    let nearLines: string[] = [];
    const jobs = await driveUntilDone(async () => {
      farLines = await lineJobIds(client, farBatch);
      nearLines = await lineJobIds(client, nearBatch);
      return [...interactive, ...deferrable, ...farLines, ...nearLines];
    }, [farBatch, nearBatch]);

    expect(farLines).toHaveLength(4);
    expect(nearLines).toHaveLength(3);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    const capacity = (ids: string[]) => ids.map((id) => byId.get(id)?.usage?.capacity);
    for (const j of jobs) expect(j.status, `${j.id}: ${JSON.stringify(j.error)}`).toBe('succeeded');
    expect(capacity(interactive)).toEqual(['realtime', 'realtime', 'realtime']);
    expect(capacity(nearLines)).toEqual(['realtime', 'realtime', 'realtime']);
    expect(capacity(deferrable)).toEqual(['batch', 'batch', 'batch']);
    expect(capacity(farLines)).toEqual(['batch', 'batch', 'batch', 'batch']);
    // No deadline missed: the 6 s window's lines and the rest all ended in their windows.
    for (const id of nearLines) {
      expect(Date.parse(byId.get(id)!.completedAt!)).toBeLessThanOrEqual(submittedAt + 6_000);
    }
    const after = stack.model.batchStats();
    expect(after.linesAnswered - before.linesAnswered).toBe(7);
    expect(after.completed - before.completed).toBeGreaterThanOrEqual(1);
    // Batch lines cost the batch price: half of what the same tokens cost real-time.
    for (const id of [...deferrable, ...farLines]) {
      const usage = byId.get(id)!.usage!;
      const realtime = costOf(usage, 'gpt-4o-mini', DEFAULT_PRICE_TABLE, 'realtime')!;
      expect(usage.costUsd).toBe(costOf(usage, 'gpt-4o-mini', DEFAULT_PRICE_TABLE, 'batch'));
      // Rounded to 1e-8 USD, as every recorded cost is.
      expect(usage.costUsd).toBeCloseTo(realtime / 2, 7);
      expect(usage.costUsd).toBeGreaterThan(0);
    }
  }, 90_000);

  it('cancels a provider batch still running as its lines’ deadline nears; the lines finish real-time in time', async () => {
    stack.model.setBatchTiming({ processingMs: 120_000 });
    try {
      const before = stack.model.batchStats();
      const slow = await createChatBatch(client, 'slow', 2, '14s');
      const startedAt = Date.now();
      let lines: string[] = [];
      const jobs = await driveUntilDone(async () => (lines = await lineJobIds(client, slow)), [slow], 30_000);
      expect(lines).toHaveLength(2);
      for (const j of jobs) {
        expect(j.status).toBe('succeeded');
        expect(j.usage?.capacity).toBe('realtime');
        expect(Date.parse(j.completedAt!)).toBeLessThanOrEqual(startedAt + 14_000);
      }
      const after = stack.model.batchStats();
      expect(after.cancelled - before.cancelled).toBe(1);
      expect((await client.batches.retrieve(slow)).status).toBe('completed');
    } finally {
      stack.model.setBatchTiming({ processingMs: 400 });
    }
  }, 60_000);

  it('fails a far-deadline job the model refused inside a Global Batch, with the reason', async () => {
    const id = await submit('refuse this [[simulate:content_filter]]', 'gb-filtered', 60);
    const [ended] = await driveUntilDone(() => Promise.resolve([id]), []);
    expect(ended!.status).toBe('failed');
    expect(ended!.error?.code).toBe('content_filter');
  }, 60_000);
});
