/**
 * The whole local stack, end to end through its public surfaces: HTTP on the dev host and the real
 * Service Bus SDK against the emulator. Jobs go through every stage and land in Cosmos DB.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../shared/jobs/ids.js';
import type { LocalStack } from '../../local/stack.js';
import { startWebhookReceiver } from '../../local/webhook-receiver/index.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;
let serviceBus: ServiceBusClient;

const request = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Write a haiku about queues' }],
  max_tokens: 64,
};

function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('api-key', init.key ?? stack.apiKey);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${stack.apiUrl}${path}`, { ...init, headers });
}

async function waitForStatus(
  jobId: string,
  statuses: string[],
  key = stack.apiKey,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await api(`/v1/jobs/${jobId}`, { key });
    if (response.status === 200) {
      const job = (await response.json()) as Record<string, unknown>;
      if (statuses.includes(job.status as string)) return job;
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not reach ${statuses.join('/')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 150, perTokenMs: 1 },
    // Few attempts keep the retry-exhaustion test short (backoff is still real scheduled messages). The
    // breaker has its own tests (test/shared/model); here one always-failing prompt must not pause the others.
    env: { JOB_MAX_ATTEMPTS: '3', MODEL_BREAKER_FAILURES: '1000' },
  },
  (started) => {
    stack = started;
    serviceBus = new ServiceBusClient(stack.serviceBus.connectionString);
  },
);

afterAll(async () => {
  await serviceBus?.close();
});

describe('submitting over HTTP', () => {
  it('accepts a job (202, Location, trace id) and persists its result', async () => {
    const response = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ ...request, metadata: { team: 'e2e' } }),
      headers: { 'idempotency-key': 'e2e-1' },
    });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as Record<string, unknown>;
    expect(accepted).toMatchObject({
      id: jobIdFor(stack.tenantId, 'e2e-1'),
      status: 'queued',
      metadata: { team: 'e2e' },
    });
    expect(response.headers.get('location')).toBe(
      `http://localhost:7071/api/v1/jobs/${accepted.id as string}`,
    );
    expect(response.headers.get('x-trace-id')).toBe(accepted.traceId);

    const done = await waitForStatus(accepted.id as string, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ finishReason: 'stop', model: 'gpt-4o-mini' });
    expect((done.result as { content: string }).content.length).toBeGreaterThan(0);
    expect(done.usage).toMatchObject({
      promptTokens: expect.any(Number),
      completionTokens: expect.any(Number),
    });
    expect((done.usage as { totalTokens: number }).totalTokens).toBeGreaterThan(0);
  });

  it('continues the caller trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify(request),
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(202);
    expect(((await response.json()) as { traceId: string }).traceId).toBe(traceId);
  });

  it('is idempotent: same key and body -> the same job; same key, other body -> 409', async () => {
    const first = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify(request),
      headers: { 'idempotency-key': 'e2e-idem' },
    });
    const again = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify(request),
      headers: { 'idempotency-key': 'e2e-idem' },
    });
    const other = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ ...request, temperature: 0.5 }),
      headers: { 'idempotency-key': 'e2e-idem' },
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
  });

  it('returns JSON output that matches the requested schema', async () => {
    const response = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({
        ...request,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'haiku',
            schema: {
              type: 'object',
              properties: { lines: { type: 'array', items: { type: 'string' } }, mood: { type: 'string' } },
              required: ['lines', 'mood'],
            },
          },
        },
      }),
    });
    const job = await waitForStatus(((await response.json()) as { id: string }).id, ['succeeded', 'failed']);
    expect(job.status).toBe('succeeded');
    expect((job.result as { parsed: Record<string, unknown> }).parsed).toEqual({
      lines: expect.any(Array),
      mood: expect.any(String),
    });
  });

  it('lists the tenant jobs with a status filter and continuation', async () => {
    const firstPage = await api('/v1/jobs?limit=1&status=succeeded');
    expect(firstPage.status).toBe(200);
    const page = (await firstPage.json()) as { jobs: Array<{ status: string }>; continuationToken?: string };
    expect(page.jobs).toHaveLength(1);
    expect(page.jobs[0]?.status).toBe('succeeded');
    expect(page.continuationToken).toBeTruthy();
    const next = await api(
      `/v1/jobs?limit=1&status=succeeded&continuationToken=${encodeURIComponent(page.continuationToken ?? '')}`,
    );
    expect(((await next.json()) as { jobs: unknown[] }).jobs).toHaveLength(1);
  });

  it('cancels a running job, whose late result is never recorded; a finished job cannot be cancelled', async () => {
    const submitted = await api('/v1/jobs', { method: 'POST', body: JSON.stringify(request) });
    const { id } = (await submitted.json()) as { id: string };
    const cancelled = await api(`/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
    // Give the in-flight model call time to finish and reach persist; the job must stay cancelled.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await waitForStatus(id, ['cancelled', 'succeeded'])).status).toBe('cancelled');
    const again = await api(`/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
  });
});

describe('model failures', () => {
  it('retries a transient model error by scheduled message and succeeds', async () => {
    stack.model.setFaults({ rules: [{ kind: 'http500', count: 1 }] });
    const response = await api('/v1/jobs', { method: 'POST', body: JSON.stringify(request) });
    const job = await waitForStatus(((await response.json()) as { id: string }).id, ['succeeded', 'failed']);
    stack.model.setFaults({});
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('fails a job permanently on a content-filter refusal, with the reason', async () => {
    const body = { ...request, messages: [{ role: 'user', content: 'please [[simulate:content_filter]]' }] };
    const response = await api('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
    const job = await waitForStatus(((await response.json()) as { id: string }).id, ['succeeded', 'failed']);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'content_filter' } });
  });

  it('fails a job once its attempt budget is spent', async () => {
    const body = { ...request, messages: [{ role: 'user', content: 'always [[simulate:http500]]' }] };
    const response = await api('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
    const job = await waitForStatus(((await response.json()) as { id: string }).id, ['succeeded', 'failed']);
    expect(job).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'attempts_exhausted' } });
  });
});

describe('usage', () => {
  it("totals the tenant's tokens and cost, and only the tenant's", async () => {
    const response = await api('/v1/usage');
    expect(response.status).toBe(200);
    const usage = (await response.json()) as Record<string, number>;
    expect(usage.jobs).toBeGreaterThanOrEqual(3);
    expect(usage.totalTokens).toBe(usage.promptTokens! + usage.completionTokens!);
    expect(usage.costUsd).toBeGreaterThan(0);
    const otherKey = await stack.addTenant('usage-other');
    const other = (await (await api('/v1/usage', { key: otherKey })).json()) as Record<string, number>;
    expect(other).toMatchObject({ jobs: 0, totalTokens: 0, costUsd: 0 });
    const bad = await api('/v1/usage?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z');
    expect(bad.status).toBe(400);
  });
});

describe('bad input over HTTP', () => {
  it.each([
    ['malformed JSON', '{"model":', 400, undefined],
    ['an unknown field', JSON.stringify({ ...request, colour: 'blue' }), 400, 'colour'],
    ['a wrong type', JSON.stringify({ ...request, max_tokens: 'lots' }), 400, 'max_tokens'],
    [
      'a bad role',
      JSON.stringify({ ...request, messages: [{ role: 'robot', content: 'x' }] }),
      400,
      'messages/0/role',
    ],
    ['an unknown model alias', JSON.stringify({ ...request, model: 'gpt-9' }), 400, 'model'],
  ])('refuses %s with problem+json naming the field', async (_name, body, status, field) => {
    const response = await api('/v1/jobs', { method: 'POST', body });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as {
      status: number;
      errors?: Array<{ field: string }>;
      detail: string;
    };
    expect(problem.status).toBe(status);
    expect(problem.detail).not.toMatch(/at .*\.(ts|js):\d+/);
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
  });

  it('refuses an oversize body with 413', async () => {
    const huge = JSON.stringify({
      ...request,
      messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }],
    });
    const response = await api('/v1/jobs', { method: 'POST', body: huge });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses a missing or wrong key with 401', async () => {
    const missing = await api('/v1/jobs', { key: null });
    const wrong = await api('/v1/jobs', { key: `${stack.apiKey.slice(0, -4)}AAAA` });
    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
  });

  it("answers 404 for another tenant's job", async () => {
    const otherKey = await stack.addTenant('other-team');
    const mine = await api('/v1/jobs', { method: 'POST', body: JSON.stringify(request) });
    const { id } = (await mine.json()) as { id: string };
    const theirs = await api(`/v1/jobs/${id}`, { key: otherKey });
    expect(theirs.status).toBe(404);
    const cancel = await api(`/v1/jobs/${id}/cancel`, { method: 'POST', key: otherKey });
    expect(cancel.status).toBe(404);
  });
});

describe('the deliver hop', () => {
  /** Finished invocations of a queue's trigger on the (single) host instance. */
  const finished = (queue: string) => stack.instances()[0]?.invocations[queue] ?? 0;
  /** Messages waiting in, held by, or scheduled on a queue right now. */
  const pending = (queue: string) => {
    const stats = stack.serviceBus.stats()[queue];
    return stats ? stats.active + stats.locked + stats.scheduled : 0;
  };
  const until = async (what: string, probe: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('is skipped for a tenant without webhook endpoints, whose job still finishes', async () => {
    const persisted = finished('persist');
    const delivered = finished('deliver');
    const response = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify(request),
      headers: { 'idempotency-key': 'no-endpoints-1' },
    });
    const accepted = (await response.json()) as { id: string };
    expect((await waitForStatus(accepted.id, ['succeeded', 'failed'])).status).toBe('succeeded');
    // Persist sends to deliver before its invocation finishes: once it has finished, any message it sent
    // is in the deliver queue or already through its trigger. Neither happened.
    await until('the persist invocation', () => finished('persist') > persisted);
    expect(pending('deliver')).toBe(0);
    expect(finished('deliver')).toBe(delivered);
  });

  it('still runs, and delivers, for a tenant with an endpoint subscribed to the event', async () => {
    const receiver = await startWebhookReceiver({ log: () => {} });
    try {
      const key = await stack.addTenant('t-with-endpoint');
      const registered = await api('/v1/webhooks/endpoints', {
        method: 'POST',
        key,
        body: JSON.stringify({ url: receiver.url, eventTypes: ['job.succeeded'] }),
      });
      expect(registered.status).toBe(201);
      const delivered = finished('deliver');
      const response = await api('/v1/jobs', {
        method: 'POST',
        key,
        body: JSON.stringify(request),
        headers: { 'idempotency-key': 'with-endpoint-1' },
      });
      const accepted = (await response.json()) as { id: string };
      await until('the webhook', () => receiver.received.length > 0);
      expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({
        type: 'job.succeeded',
        data: { jobId: accepted.id },
      });
      expect(finished('deliver')).toBeGreaterThan(delivered);
    } finally {
      await receiver.close();
    }
  });
});

describe('submitting over the intake queue', () => {
  it('runs a job sent with the Service Bus SDK; its id comes from tenant + message id', async () => {
    const sender = serviceBus.createSender('intake');
    await sender.sendMessages({
      body: request,
      messageId: 'intake-1',
      applicationProperties: { tenantId: stack.tenantId },
    });
    await sender.close();
    const job = await waitForStatus(jobIdFor(stack.tenantId, 'intake-1'), ['succeeded', 'failed']);
    expect(job.status).toBe('succeeded');
  });

  it('fails a job whose body is invalid, with the reason', async () => {
    const sender = serviceBus.createSender('intake');
    await sender.sendMessages({
      body: { model: 'gpt-4o-mini' },
      messageId: 'intake-bad',
      applicationProperties: { tenantId: stack.tenantId },
    });
    await sender.close();
    const job = await waitForStatus(jobIdFor(stack.tenantId, 'intake-bad'), ['failed']);
    expect(job.error).toMatchObject({ code: 'validation_failed' });
    expect((job.error as { message: string }).message).toContain('messages');
  });

  it('dead-letters messages that cannot be tied to a job, saying why', async () => {
    const sender = serviceBus.createSender('intake');
    await sender.sendMessages({ body: request, messageId: 'intake-poison' });
    await sender.sendMessages({
      body: request,
      messageId: 'intake-stranger',
      applicationProperties: { tenantId: 'no-such-tenant' },
    });
    await sender.close();
    const receiver = serviceBus.createReceiver('intake', { subQueueType: 'deadLetter' });
    const dead = [];
    while (dead.length < 2) {
      const batch = await receiver.receiveMessages(2, { maxWaitTimeInMs: 10_000 });
      if (batch.length === 0) break;
      dead.push(...batch);
    }
    await receiver.close();
    const reasons = Object.fromEntries(
      dead.map((m) => [m.messageId, [m.deadLetterReason, m.deadLetterErrorDescription]]),
    );
    expect(reasons['intake-poison']).toEqual(['MissingTenant', expect.stringContaining('tenantId')]);
    expect(reasons['intake-stranger']).toEqual(['TenantNotAllowed', expect.any(String)]);
    // Nothing was created for the unknown tenant.
    expect(
      await stack.services.jobs.get('no-such-tenant', jobIdFor('no-such-tenant', 'intake-stranger')),
    ).toBeUndefined();
  });
});

describe('service endpoints', () => {
  it('serves health and an OpenAPI 3.1 document generated from the schemas', async () => {
    expect((await api('/health', { key: null })).status).toBe(200);
    const doc = (await (await api('/openapi.json', { key: null })).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel']),
    );
    expect(doc.components.schemas.SubmitJob).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['model', 'messages']),
    });
  });
});
