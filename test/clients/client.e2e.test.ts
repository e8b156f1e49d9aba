/**
 * The published client (clients/typescript) against the whole local stack (startLocalStack, port 0):
 * submit (new and repeated key), get, wait, list, batch, cancel, usage, webhook endpoints, and a real
 * delivery verified with the client's verifyWebhook (standardwebhooks), as a consumer would; and the
 * example producer (examples/producer), which is built on it.
 */
import { afterAll, describe, expect, test } from 'vitest';
import {
  createClient,
  PromptPipelineError,
  verifyWebhook,
  WebhookVerificationError,
  type PromptPipelineClient,
} from '../../clients/typescript/src/index.js';
import { runPrompts } from '../../examples/producer/producer.js';
import type { LocalStack } from '../../local/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver/index.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;
let receiver: WebhookReceiver;
let client: PromptPipelineClient;

const request = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Write a haiku about typed clients' }],
  max_tokens: 32,
};

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 400, perTokenMs: 1 },
    deployments: [
      { name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 1_000_000 },
      { name: 'text-embedding-3-small', model: 'text-embedding-3-small', tpm: 1_000_000 },
    ],
  },
  async (started) => {
    stack = started;
    receiver = await startWebhookReceiver({ log: () => {} });
    client = createClient({ baseUrl: stack.apiUrl, apiKey: stack.apiKey });
  },
);

afterAll(async () => {
  await receiver?.close();
});

describe('jobs', () => {
  test('submit (202, then 200 for the same key), get, wait, list', async () => {
    const first = await client.submitJob(
      { ...request, metadata: { via: 'client' } },
      { idempotencyKey: 'client-1' },
    );
    expect(first.created).toBe(true);
    expect(first.job).toMatchObject({ status: 'queued', model: 'gpt-4o-mini', metadata: { via: 'client' } });
    expect(first.location).toMatch(new RegExp(`/api/v1/jobs/${first.job.id}$`));
    const again = await client.submitJob(
      { ...request, metadata: { via: 'client' } },
      { idempotencyKey: 'client-1' },
    );
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });

    expect((await client.getJob(first.job.id)).id).toBe(first.job.id);
    const done = await client.waitForJob(first.job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('succeeded');
    expect(done.result?.content).toEqual(expect.any(String));
    expect(done.usage?.totalTokens).toBeGreaterThan(0);

    const page = await client.listJobs({ limit: 1 });
    expect(page.jobs).toHaveLength(1);
    const all = await client.listJobs({ status: 'succeeded' });
    expect(all.jobs.map((job) => job.id)).toContain(first.job.id);
  });

  test('an embeddings job through the same submitJob, its vectors in the result', async () => {
    const { job } = await client.submitJob({
      model: 'text-embedding-3-small',
      input: ['typed', 'clients'],
      dimensions: 8,
    });
    const done = await client.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('succeeded');
    expect(done.result?.embeddings?.map((vector) => vector.length)).toEqual([8, 8]);
    expect(done.usage?.completionTokens).toBe(0);
  });

  test('jobEvents: the status, then the result; getJob with a long poll', async () => {
    const { job } = await client.submitJob({ ...request, metadata: { via: 'events' } });
    const events = [];
    for await (const event of client.jobEvents(job.id)) events.push(event);
    expect(events.map((event) => event.type)).toEqual(['status', 'status', 'result']);
    expect(events[0]).toMatchObject({ type: 'status', status: { id: job.id, status: 'queued' } });
    expect(events[2]).toMatchObject({ type: 'result', job: { id: job.id, status: 'succeeded' } });
    expect((await client.getJob(job.id, { wait: 5 })).status).toBe('succeeded');
    const missing = client.jobEvents(`job_${'0'.repeat(32)}`).next();
    await expect(missing).rejects.toMatchObject({ status: 404 });
  });

  test('a refused call throws PromptPipelineError with the problem', async () => {
    const error = await client.submitJob({ ...request, messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PromptPipelineError);
    expect(error).toMatchObject({ status: 400, problem: { code: 'validation_failed' } });
    expect((error as PromptPipelineError).problem?.errors?.[0]?.field).toBe('messages');
    expect((error as PromptPipelineError).traceId).toMatch(/^[0-9a-f]{32}$/);
    const missing = await client.getJob(`job_${'0'.repeat(32)}`).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404 });
    const anonymous = createClient({ baseUrl: stack.apiUrl });
    await expect(anonymous.listJobs()).rejects.toMatchObject({ status: 401 });
  });

  test('cancel a queued job; cancelling it again is a 409', async () => {
    const slow = {
      ...request,
      max_tokens: 512,
      messages: [{ role: 'user' as const, content: 'long '.repeat(50) }],
    };
    const { job } = await client.submitJob(slow);
    const cancelled = await client.cancelJob(job.id).catch((e: unknown) => e);
    if (cancelled instanceof PromptPipelineError) {
      // The simulator answered first: the job finished before the cancel (a 409 naming its state).
      expect(cancelled.status).toBe(409);
      return;
    }
    expect(cancelled).toMatchObject({ id: job.id, status: 'cancelled' });
    await expect(client.cancelJob(job.id)).rejects.toMatchObject({ status: 409 });
  });

  test('batch: one result per item, a bad item does not fail the others', async () => {
    const result = await client.submitBatch({
      jobs: [{ idempotency_key: 'batch-ok', job: request }, { job: { ...request, model: '' } }],
    });
    expect(result.results.map((item) => item.status)).toEqual([202, 400]);
    expect(result.results[0]?.job?.id).toMatch(/^job_/);
    expect(result.results[1]?.problem?.code).toBe('validation_failed');
  });

  test('usage: totals and daily rollups', async () => {
    const usage = await client.getUsage();
    expect(usage.tenantId).toBe(stack.tenantId);
    expect(usage.jobs).toBeGreaterThan(0);
    expect(usage.totalTokens).toBeGreaterThan(0);
    const daily = await client.getDailyUsage({ since: new Date().toISOString().slice(0, 10) });
    expect(daily).toMatchObject({ tenantId: stack.tenantId, days: expect.any(Array) });
  });
});

describe('webhooks', () => {
  test('register, list, get, attempts; a delivery verifies with the client and not with another secret', async () => {
    const key = await stack.addTenant('client-hooks');
    const tenant = createClient({ baseUrl: stack.apiUrl, apiKey: key });
    const endpoint = await tenant.webhooks.register({ url: receiver.url, eventTypes: ['job.succeeded'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect((await tenant.webhooks.list()).map((e) => e.id)).toEqual([endpoint.id]);
    expect((await tenant.webhooks.get(endpoint.id)).url).toBe(receiver.url);

    const { job } = await tenant.submitJob(request);
    const deadline = Date.now() + 20_000;
    while (!receiver.received.some((r) => r.body.includes(job.id))) {
      if (Date.now() > deadline) throw new Error('no webhook arrived');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const delivery = receiver.received.find((r) => r.body.includes(job.id));
    const headers = delivery?.headers as Record<string, string>;
    const event = verifyWebhook(delivery?.body ?? '', headers, endpoint.secret);
    expect(event).toMatchObject({ type: 'job.succeeded', data: { jobId: job.id, status: 'succeeded' } });

    const other = await tenant.webhooks.rotateSecret(endpoint.id, { overlapSeconds: 0 });
    expect(() => verifyWebhook(delivery?.body ?? '', headers, other.secret)).toThrow(
      WebhookVerificationError,
    );
    // During a rotation a consumer holds both secrets: any one that signed verifies.
    expect(verifyWebhook(delivery?.body ?? '', headers, [other.secret, endpoint.secret]).data.jobId).toBe(
      job.id,
    );
    expect(() => verifyWebhook(`${delivery?.body ?? ''} `, headers, endpoint.secret)).toThrow(
      WebhookVerificationError,
    );

    await expect.poll(async () => (await tenant.webhooks.attempts(endpoint.id)).length).toBeGreaterThan(0);
    const replay = await tenant.webhooks.replayJob(job.id);
    expect(replay.replayed).toBe(1);
    expect((await tenant.webhooks.replayFailed(endpoint.id, new Date(0).toISOString())).replayed).toBe(0);
  });
});

describe('the example producer', () => {
  test('submits its prompts, waits, and a rerun finds the same jobs', async () => {
    const options = { baseUrl: stack.apiUrl, apiKey: stack.apiKey };
    const jobs = await runPrompts(options, ['one prompt', 'another prompt']);
    expect(jobs.map((job) => job.status)).toEqual(['succeeded', 'succeeded']);
    expect(jobs[0]?.metadata).toEqual({ source: 'example-producer' });
    const again = await runPrompts(options, ['one prompt']);
    expect(again[0]?.id).toBe(jobs[0]?.id);
  });
});
