import { AzureOpenAI, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';

let simulator: ModelSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

interface OutputLine {
  custom_id: string;
  error: unknown;
  response: {
    status_code: number;
    body: {
      choices: Array<{ message: { content: string } }>;
      usage: { prompt_tokens: number };
      error: { code: string };
    };
  };
}

const FAST = { validatingMs: 50, processingMs: 200, finalizingMs: 50, cancellingMs: 20 };

async function start(extra: { enqueuedTokens?: number; windowMs?: number; processingMs?: number } = {}) {
  simulator = await startModelSimulator({
    apiKey: 'k',
    deployments: [
      { name: 'chat', model: 'gpt-4o-mini', tpm: 60_000 },
      {
        name: 'chat-batch',
        model: 'gpt-4o-mini',
        tpm: 1,
        sku: 'GlobalBatch',
        ...(extra.enqueuedTokens ? { enqueuedTokens: extra.enqueuedTokens } : {}),
      },
    ],
    globalBatch: {
      ...FAST,
      ...(extra.windowMs ? { windowMs: extra.windowMs } : {}),
      ...(extra.processingMs ? { processingMs: extra.processingMs } : {}),
    },
  });
  return new AzureOpenAI({ endpoint: simulator.url, apiKey: 'k', apiVersion: '2024-10-21', maxRetries: 0 });
}

function jsonl(lines: ReadonlyArray<{ id: string; prompt: string; model?: string }>): string {
  return lines
    .map((l) =>
      JSON.stringify({
        custom_id: l.id,
        method: 'POST',
        url: '/chat/completions',
        body: {
          model: l.model ?? 'chat-batch',
          messages: [{ role: 'user', content: l.prompt }],
          max_tokens: 50,
        },
      }),
    )
    .join('\n');
}

async function runToEnd(client: AzureOpenAI, id: string) {
  for (let i = 0; i < 200; i += 1) {
    const batch = await client.batches.retrieve(id);
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the batch did not finish');
}

async function upload(client: AzureOpenAI, text: string) {
  return client.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
}

describe('model simulator: Azure OpenAI Global Batch', () => {
  it('runs a batch validating → in_progress → finalizing → completed with OpenAI-shaped output and error lines', async () => {
    const client = await start();
    const file = await upload(
      client,
      jsonl([
        { id: 'a', prompt: 'one' },
        { id: 'b', prompt: 'two [[simulate:content_filter]]' },
        { id: 'c', prompt: 'three' },
      ]),
    );
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', status: 'processed' });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe('validating');
    const seen = new Set<string>();
    let batch = created;
    while (!['completed', 'failed'].includes(batch.status)) {
      seen.add(batch.status);
      await new Promise((resolve) => setTimeout(resolve, 10));
      batch = await client.batches.retrieve(created.id);
    }
    expect(batch.status).toBe('completed');
    expect([...seen]).toEqual(expect.arrayContaining(['validating', 'in_progress', 'finalizing']));
    expect(batch.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const output = (await (await client.files.content(batch.output_file_id!)).text()).trim().split('\n');
    const lines = output.map((l) => JSON.parse(l) as OutputLine);
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['a', 'c']);
    for (const line of lines) {
      expect(line.error).toBeNull();
      expect(line.response.status_code).toBe(200);
      expect(line.response.body.choices[0]!.message.content).toMatch(/^\[simulated\]/);
      expect(line.response.body.usage.prompt_tokens).toBeGreaterThan(0);
    }
    const errors = (await (await client.files.content(batch.error_file_id!)).text()).trim().split('\n');
    const failed = JSON.parse(errors[0]!) as OutputLine;
    expect(failed.custom_id).toBe('b');
    expect(failed.response.status_code).toBe(400);
    expect(failed.response.body.error.code).toBe('content_filter');
    expect(simulator!.batchStats()).toMatchObject({ created: 1, completed: 1, linesAnswered: 3 });
  });

  it('fails a batch beyond the deployment’s enqueued-token limit with token_limit_exceeded', async () => {
    const client = await start({ enqueuedTokens: 20, processingMs: 2_000 });
    const first = await client.batches.create({
      input_file_id: (await upload(client, jsonl([{ id: 'a', prompt: 'hello there' }]))).id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    await new Promise((resolve) => setTimeout(resolve, 120));
    const second = await client.batches.create({
      input_file_id: (await upload(client, jsonl([{ id: 'b', prompt: 'hello again, a longer prompt' }]))).id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    const refused = await runToEnd(client, second.id);
    expect(refused.status).toBe('failed');
    expect(refused.errors?.data?.[0]).toMatchObject({ code: 'token_limit_exceeded', line: null });
    expect(refused.errors?.data?.[0]?.message).toContain("deployment 'chat-batch'");
    expect((await runToEnd(client, first.id)).status).toBe('completed');
    expect(simulator!.batchStats().tokenLimitRefusals).toBe(1);
  });

  it('fails validation for duplicate custom_id and a model that is not a GlobalBatch deployment', async () => {
    const client = await start();
    const dup = await client.batches.create({
      input_file_id: (
        await upload(
          client,
          jsonl([
            { id: 'x', prompt: '1' },
            { id: 'x', prompt: '2' },
          ]),
        )
      ).id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    expect((await runToEnd(client, dup.id)).errors?.data?.[0]).toMatchObject({
      code: 'duplicate_custom_id',
      line: 2,
    });
    const wrong = await client.batches.create({
      input_file_id: (await upload(client, jsonl([{ id: 'x', prompt: '1', model: 'chat' }]))).id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    expect((await runToEnd(client, wrong.id)).errors?.data?.[0]?.code).toBe('model_not_found');
  });

  it('expires a batch whose window closes first (done lines kept) and cancels one in progress', async () => {
    const client = await start({ windowMs: 300, processingMs: 1_000 });
    const lines = Array.from({ length: 20 }, (_, i) => ({ id: `l${i}`, prompt: `p${i}` }));
    const slow = await client.batches.create({
      input_file_id: (await upload(client, jsonl(lines))).id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    const expired = await runToEnd(client, slow.id);
    expect(expired.status).toBe('expired');
    const rest = (await (await client.files.content(expired.error_file_id!)).text()).trim().split('\n');
    const done = expired.output_file_id
      ? (await (await client.files.content(expired.output_file_id)).text()).trim().split('\n').length
      : 0;
    expect(done + rest.length).toBe(20);
    expect(JSON.parse(rest.at(-1)!)).toMatchObject({ response: null, error: { code: 'batch_expired' } });

    simulator!.setBatchTiming({ windowMs: 60_000, processingMs: 5_000 });
    const running = await client.batches.create({
      input_file_id: (await upload(client, jsonl(lines))).id,
      endpoint: '/chat/completions' as '/v1/chat/completions',
      completion_window: '24h',
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await client.batches.cancel(running.id)).status).toBe('cancelling');
    const cancelled = await runToEnd(client, running.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_at).not.toBeNull();
  });
});

describe('model simulator: listing batches and files', () => {
  it('lists batches newest first a page at a time (limit, after, has_more) with their metadata', async () => {
    const client = await start({ processingMs: 60_000 });
    const file = await upload(client, jsonl([{ id: 'a', prompt: 'hi' }]));
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: '/chat/completions' as '/v1/chat/completions',
        completion_window: '24h',
        metadata: { group_id: `g-${i}` },
      });
      ids.push(batch.id);
      // Distinct creation times: the list is ordered by them.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const first = await client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect(first.data.map((b) => b.metadata?.group_id)).toEqual(['g-2', 'g-1']);
    expect(first.has_more).toBe(true);
    const second = await client.batches.list({ limit: 2, after: ids[1] });
    expect(second.data.map((b) => b.id)).toEqual([ids[0]]);
    expect(second.has_more).toBe(false);
    // The SDK's iteration follows `after` across pages.
    const all: string[] = [];
    for await (const batch of client.batches.list({ limit: 1 })) all.push(batch.id);
    expect(all).toEqual([...ids].reverse());
  });

  it('lists files by purpose with their names', async () => {
    const client = await start();
    const file = await client.files.create({
      file: await toFile(Buffer.from(jsonl([{ id: 'a', prompt: 'hi' }])), 'group-1.jsonl'),
      purpose: 'batch',
    });
    const batchFiles = await client.files.list({ purpose: 'batch' });
    expect(batchFiles.data.map((f) => [f.id, f.filename])).toEqual([[file.id, 'group-1.jsonl']]);
    expect((await client.files.list({ purpose: 'fine-tune' })).data).toEqual([]);
  });
});
