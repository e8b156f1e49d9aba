/**
 * Jobs whose request is far over Service Bus's 256 KB and over Cosmos DB's 2 MB item limit (which the
 * embedded Cosmos DB enforces, as Azure does), through the whole local stack: submitted over HTTP or as a
 * line of a batch, the job document holds the request by reference (its body in Blob Storage, Azurite),
 * the invoke message is checked in to Blob Storage and out again by the invoke stage, the model simulator
 * answers, and the job `succeeded`. The prompt's size reaches the model whole: the simulator counts its
 * tokens from what it received. A repeat with the same Idempotency-Key is the same job; with another
 * body, a 409.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { CLAIM_CHECK_CONTAINER } from '../../shared/blob/payload-store.js';
import { requestBodyId } from '../../shared/cosmos/request-bodies.js';
import { isStoredRequest } from '../../shared/jobs/job.js';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    // A prompt of this size is over any real context window; the simulated one is widened so the test
    // is about carrying the body, not about the model refusing it.
    deployments: [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 100_000_000, contextWindow: 10_000_000 }],
    emulatorThreads: true,
    // The API's body cap (1 MB by default) and the tenant's request limit (at most 4 MB) are raised for
    // these jobs, as an operator can for a tenant that sends large documents.
    env: { HTTP_MAX_BODY_BYTES: String(4 * 1024 * 1024), BATCH_MIN_WINDOW_SECONDS: '1' },
  },
  async (started) => {
    stack = started;
    const tenants = stack.services.security.tenants;
    const stored = (await tenants.get(stack.tenantId))!;
    await tenants.replace(
      { ...stored.tenant, quotas: { ...stored.tenant.quotas, maxRequestBytes: 4 * 1024 * 1024 } },
      stored.etag,
    );
  },
);

interface JobView {
  readonly status: string;
  readonly usage?: { readonly promptTokens: number };
  readonly error?: unknown;
}

async function view(id: string): Promise<JobView> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': stack.apiKey } });
  return (await response.json()) as JobView;
}

/** Words of ~1 token each: a prompt of `bytes` bytes. */
const wordsOf = (bytes: number) => 'lorem ipsum dolor sit amet '.repeat(Math.floor(bytes / 27));

function chatBody(content: string): string {
  return JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 8 });
}

function submit(body: string, key: string): Promise<Response> {
  return fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
    body,
  });
}

async function settled(id: string): Promise<JobView> {
  const deadline = Date.now() + 90_000;
  let job = await view(id);
  while (job.status === 'queued' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    job = await view(id);
  }
  return job;
}

function blob(name: string) {
  return BlobServiceClient.fromConnectionString(stack.storage.connectionString)
    .getContainerClient(CLAIM_CHECK_CONTAINER)
    .getBlockBlobClient(name);
}

/** The job document holds a reference, and the request's body is a blob of about `bytes`. */
async function expectStoredByReference(id: string, bytes: number): Promise<void> {
  const stored = await stack.services.jobs.get(stack.tenantId, id);
  expect(stored && isStoredRequest(stored.job.request)).toBe(true);
  expect(Buffer.byteLength(JSON.stringify(stored!.job))).toBeLessThan(4096);
  expect((await blob(requestBodyId(id)).getProperties()).contentLength).toBeGreaterThan(bytes);
}

describe('a job above 2 MB', () => {
  it('is kept by reference, carried through Blob Storage and succeeds', async () => {
    // 3 MB of words, under the dev host's 4 MB body cap.
    const body = chatBody(wordsOf(3_105_000));
    expect(body.length).toBeGreaterThan(3_000_000);
    const response = await submit(body, 'big-3mb');
    expect(response.status, await response.clone().text()).toBe(202);
    const { id } = (await response.json()) as { id: string };

    const job = await settled(id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    // 5 words of ~1 token each, 115,000 times: the model saw the whole prompt, not a reference to it.
    expect(job.usage?.promptTokens).toBeGreaterThan(500_000);
    await expectStoredByReference(id, 3_000_000);
    expect((await blob(`${id}:invoke:0`).getProperties()).contentLength).toBeGreaterThan(3_000_000);
  }, 120_000);

  it('at the tenant maximum (4 MB) succeeds, and its Idempotency-Key still tells repeats apart', async () => {
    const content = wordsOf(4 * 1024 * 1024 - 200);
    const body = chatBody(content);
    expect(Buffer.byteLength(body)).toBeGreaterThan(4_100_000);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4 * 1024 * 1024);
    const first = await submit(body, 'big-4mb');
    expect(first.status, await first.clone().text()).toBe(202);
    const { id } = (await first.json()) as { id: string };

    const repeat = await submit(body, 'big-4mb');
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { id: string }).id).toBe(id);
    // One character changed deep in the prompt: another request under the same key.
    const other = await submit(chatBody(`${content.slice(0, -1)}!`), 'big-4mb');
    expect(other.status).toBe(409);

    const job = await settled(id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.usage?.promptTokens).toBeGreaterThan(700_000);
    await expectStoredByReference(id, 4_100_000);
  }, 120_000);

  it('as a line of a batch is kept by reference and answered in the output file', async () => {
    const client = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
    const lines = [
      JSON.stringify({
        custom_id: 'big',
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: wordsOf(3_105_000) }],
          max_tokens: 8,
        },
      }),
      JSON.stringify({
        custom_id: 'small',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 },
      }),
    ];
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'big.jsonl'),
      purpose: 'batch',
    });
    let batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const deadline = Date.now() + 90_000;
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status) && Date.now() < deadline) {
      await stack.host.runTimer('batchSweep');
      await new Promise((resolve) => setTimeout(resolve, 300));
      batch = await client.batches.retrieve(batch.id);
    }
    expect(batch.status, JSON.stringify(batch.errors)).toBe('completed');
    expect(batch.request_counts).toMatchObject({ total: 2, completed: 2, failed: 0 });
    const output = (await (await client.files.content(batch.output_file_id!)).text())
      .trim()
      .split('\n')
      .map(
        (text) =>
          JSON.parse(text) as {
            custom_id: string;
            response: { status_code: number; request_id: string; body: { usage: { prompt_tokens: number } } };
          },
      );
    const big = output.find((line) => line.custom_id === 'big')!;
    expect(big.response.status_code).toBe(200);
    expect(big.response.body.usage.prompt_tokens).toBeGreaterThan(500_000);
    await expectStoredByReference(big.response.request_id, 3_000_000);
  }, 120_000);
});
