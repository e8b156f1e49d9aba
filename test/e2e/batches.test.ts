/**
 * The Batches API through the official `openai` SDK, pointed at the whole local stack (Azurite, Cosmos DB,
 * Service Bus, the model simulator, every function): upload, create, poll to `completed`, read both files
 * line by line; a bad line, a failing request, duplicate custom_ids, a malformed file, cancel, and a
 * short window closing. The batch sweep is a timer: the polls run it (`runTimer`) instead of waiting a minute.
 */
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { startWebhookReceiver } from '../../local/webhook-receiver/index.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;
let client: OpenAI;

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    // Windows of seconds (the expiry test); a small chunk so a batch of a few lines takes several bulk calls.
    // A hanging model call (`[[simulate:hang]]`, a line still running) gives up after 6 s: past the 4 s
    // window of the expiry test, and short enough for the stack to close.
    env: {
      BATCH_MIN_WINDOW_SECONDS: '1',
      BATCH_CHUNK_LINES: '2',
      JOB_MAX_ATTEMPTS: '1',
      MODEL_TIMEOUT_MS: '6000',
    },
  },
  (started) => {
    stack = started;
    client = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
  },
);

const line = (customId: string, content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 8 },
    ...extra,
  });

async function upload(lines: readonly string[], name = 'input.jsonl') {
  return client.files.create({
    file: await toFile(Buffer.from(lines.join('\n') + '\n'), name),
    purpose: 'batch',
  });
}

/** Runs the sweep and reads the batch until `done` says so. */
async function pollUntil(id: string, done: (batch: Batch) => boolean, timeoutMs = 30_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await stack.host.runTimer('batchSweep');
    const batch = await client.batches.retrieve(id);
    if (done(batch)) return batch;
    if (Date.now() > deadline)
      throw new Error(`batch ${id} stayed ${batch.status}: ${JSON.stringify(batch)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const finished = (batch: Batch) => ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status);

/** A line of an output or error file, as OpenAI writes them. */
interface BatchLine {
  readonly id: string;
  readonly custom_id: string | null;
  readonly response: null | {
    readonly status_code: number;
    readonly request_id: string;
    readonly body: {
      readonly object?: string;
      readonly choices?: ReadonlyArray<{ readonly message: { readonly content: unknown } }>;
      readonly usage?: { readonly total_tokens: number };
      readonly error?: { readonly code: string };
    };
  };
  readonly error: null | { readonly code: string; readonly message: string; readonly line?: number };
}

async function linesOf(fileId: string | null | undefined): Promise<BatchLine[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((each) => each.length > 0)
    .map((each) => JSON.parse(each) as BatchLine);
}

const byCustomId = (lines: readonly BatchLine[]) => new Map(lines.map((each) => [each.custom_id, each]));

describe('Batches API through the openai SDK', () => {
  it('runs a batch to completed: every good line in the output, a bad line and a failed request in the error file', async () => {
    const file = await upload([
      line('a', 'Say a'),
      line('b', 'Say b'),
      line('bad-method', 'Say c', { method: 'GET' }),
      line('c', 'Say c'),
      line('filtered', 'please [[simulate:content_filter]]'),
      line('d', 'Say d'),
    ]);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { run: 'e2e' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      status: 'validating',
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { run: 'e2e' },
      output_file_id: null,
      error_file_id: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
    });
    expect(created.id).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(created.expires_at! - created.created_at).toBe(86_400);
    // The SDK retrying the same create (no key): the same batch, no second run.
    const again = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { run: 'e2e' },
    });
    expect(again.id).toBe(created.id);

    const batch = await pollUntil(created.id, finished);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 6, completed: 4, failed: 2 });
    for (const stamp of ['in_progress_at', 'finalizing_at', 'completed_at'] as const)
      expect(batch[stamp]).toBeGreaterThanOrEqual(created.created_at);

    const output = await linesOf(batch.output_file_id);
    expect([...byCustomId(output).keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const each of output) {
      expect(each.id).toMatch(/^batch_req_[0-9a-f]{32}$/);
      expect(each.error).toBeNull();
      expect(each.response?.status_code).toBe(200);
      expect(each.response?.request_id).toMatch(/^job_/);
      expect(each.response?.body.object).toBe('chat.completion');
      expect(typeof each.response?.body.choices?.[0]?.message.content).toBe('string');
      expect(each.response?.body.usage?.total_tokens).toBeGreaterThan(0);
    }
    const errors = byCustomId(await linesOf(batch.error_file_id));
    expect([...errors.keys()].sort()).toEqual(['bad-method', 'filtered']);
    expect(errors.get('bad-method')).toMatchObject({
      response: null,
      error: { code: 'invalid_method', line: 3 },
    });
    expect(errors.get('filtered')).toMatchObject({
      response: { status_code: 400, body: { error: { code: 'content_filter' } } },
      error: { code: 'content_filter' },
    });

    // The files are ordinary files of the tenant, purpose batch_output.
    expect(await client.files.retrieve(batch.output_file_id!)).toMatchObject({ purpose: 'batch_output' });
    const listed: string[] = [];
    for await (const each of client.batches.list({ limit: 1 })) listed.push(each.id);
    expect(listed).toContain(created.id);
  });

  it('answers the same batch for a repeated Idempotency-Key, and keeps batches to their tenant', async () => {
    const file = await upload([line('x', 'Say x')]);
    const body = {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    } as const;
    const options = { headers: { 'Idempotency-Key': `key-${file.id}` } };
    const first = await client.batches.create(body, options);
    expect((await client.batches.create(body, options)).id).toBe(first.id);
    await expect(
      client.batches.create({ ...body, metadata: { other: 'body' } }, options),
    ).rejects.toMatchObject({ status: 409 });

    const otherKey = await stack.addTenant('batches-other');
    const other = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: otherKey, maxRetries: 0 });
    await expect(other.batches.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.batches.cancel(first.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.batches.create(body)).rejects.toMatchObject({ status: 400 });
    expect((await other.batches.list()).data).toEqual([]);
    await pollUntil(first.id, finished);
  });

  it('fails validation on duplicate custom_ids, naming the line', async () => {
    const file = await upload([line('same', 'one'), line('other', 'two'), line('same', 'three')]);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const batch = await pollUntil(created.id, finished);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).not.toBeNull();
    expect(batch.errors?.data).toEqual([
      expect.objectContaining({ code: 'duplicate_custom_id', line: 3, param: 'custom_id' }),
    ]);
    expect(batch.output_file_id).toBeNull();
  });

  it('fails validation on a file that is not JSONL (stored by other means than the upload, which refuses it)', async () => {
    await expect(upload([line('a', 'fine'), 'not json'])).rejects.toMatchObject({ status: 400 });
    const draft = {
      id: `file-${'ab'.repeat(16)}`,
      tenantId: stack.tenantId,
      purpose: 'batch' as const,
      filename: 'bad.jsonl',
      createdAt: 1,
    };
    const content = `${line('a', 'fine')}\nnot json\n`;
    await stack.services.fileStore.create(
      draft,
      (async function* () {
        yield await Promise.resolve(Buffer.from(content));
      })(),
      () => Promise.resolve({ bytes: content.length, lines: 2 }),
    );
    const created = await client.batches.create({
      input_file_id: draft.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const batch = await pollUntil(created.id, finished);
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data).toEqual([expect.objectContaining({ code: 'invalid_json_line', line: 2 })]);
  });

  it('refuses a create naming no file of the tenant, another endpoint or window, with the field', async () => {
    const file = await upload([line('a', 'fine')]);
    const error = await client.batches
      .create({
        input_file_id: `file-${'0'.repeat(32)}`,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, param: 'input_file_id' });
    await expect(
      client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '48h' as '24h',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'completion_window' });
  });

  it('cancels: cancelling, then cancelled with every line that did not run as batch_cancelled', async () => {
    const file = await upload([line('a', 'one'), line('b', 'two'), line('c', 'three')]);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const cancelling = await client.batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).not.toBeNull();
    const batch = await pollUntil(created.id, finished);
    expect(batch.status).toBe('cancelled');
    expect(batch.cancelled_at).not.toBeNull();
    expect(batch.request_counts).toEqual({ total: 3, completed: 0, failed: 3 });
    const errors = await linesOf(batch.error_file_id);
    expect(errors.map((each) => each.error?.code)).toEqual([
      'batch_cancelled',
      'batch_cancelled',
      'batch_cancelled',
    ]);
    await expect(client.batches.cancel(created.id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('cancels a running batch: queued lines stopped by the job cancel, finished ones kept in the output', async () => {
    const file = await upload([
      line('fast', 'quick'),
      line('slow-1', 'wait [[simulate:hang]]'),
      line('slow-2', 'wait [[simulate:hang]]'),
    ]);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    await pollUntil(created.id, (batch) => batch.request_counts?.completed === 1);
    await client.batches.cancel(created.id);
    const batch = await pollUntil(created.id, finished);
    expect(batch.status).toBe('cancelled');
    expect((await linesOf(batch.output_file_id)).map((each) => each.custom_id)).toEqual(['fast']);
    const errors = byCustomId(await linesOf(batch.error_file_id));
    expect(errors.get('slow-1')?.error?.code).toBe('batch_cancelled');
    expect(errors.get('slow-2')?.error?.code).toBe('batch_cancelled');
    // The line's job was stopped by the job cancel (its error line's id names it).
    const jobId = String(errors.get('slow-1')?.id).replace('batch_req_', 'job_');
    expect((await stack.services.jobs.get(stack.tenantId, jobId))?.job.status).toBe('cancelled');
  });

  it('expires: a short window closes, finished lines kept, the others batch_expired', async () => {
    const file = await upload([line('fast', 'quick'), line('slow', 'wait [[simulate:hang]]')]);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '4s' as '24h',
    });
    expect(created.expires_at! - created.created_at).toBe(4);
    await pollUntil(created.id, (batch) => batch.request_counts?.completed === 1);
    const batch = await pollUntil(created.id, finished, 20_000);
    expect(batch.status).toBe('expired');
    expect(batch.expired_at).not.toBeNull();
    expect((await linesOf(batch.output_file_id)).map((each) => each.custom_id)).toEqual(['fast']);
    expect(await linesOf(batch.error_file_id)).toEqual([
      expect.objectContaining({
        custom_id: 'slow',
        response: null,
        error: expect.objectContaining({ code: 'batch_expired' }),
      }),
    ]);
  });
});

describe('batch webhook events', () => {
  it('delivers a signed batch.completed with the counts and file ids to a subscribed endpoint', async () => {
    const secrets: string[] = [];
    const receiver = await startWebhookReceiver({ secrets, log: () => {} });
    try {
      const key = await stack.addTenant('batches-webhooks');
      const registered = await fetch(`${stack.apiUrl}/v1/webhooks/endpoints`, {
        method: 'POST',
        headers: { 'api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, description: 'batches', eventTypes: ['batch.completed'] }),
      });
      expect(registered.status).toBe(201);
      secrets.push(((await registered.json()) as { secret: string }).secret);
      const tenant = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: key, maxRetries: 0 });
      const file = await tenant.files.create({
        file: await toFile(Buffer.from(`${line('only', 'Say hi')}\n`), 'in.jsonl'),
        purpose: 'batch',
      });
      const created = await tenant.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      const deadline = Date.now() + 30_000;
      while (receiver.received.length === 0 && Date.now() < deadline) {
        await stack.host.runTimer('batchSweep');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const [event] = receiver.received;
      expect(event?.verificationError).toBeUndefined();
      const done = await tenant.batches.retrieve(created.id);
      expect(JSON.parse(event?.body ?? '{}')).toMatchObject({
        type: 'batch.completed',
        data: {
          batchId: created.id,
          status: 'completed',
          output_file_id: done.output_file_id,
          request_counts: { total: 1, completed: 1, failed: 0 },
        },
      });
      // Subscribed to batch.completed only: the line's own job.succeeded was not sent there.
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
