/**
 * Webhooks through the whole local stack: the HTTP routes on the dev host, the pipeline's persist stage
 * emitting the job event, the `deliver` queue on the Service Bus emulator, and a real receiver verifying
 * signatures with the published helper.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/webhook-receiver/index.js';
import { verifyWebhook } from '../../../shared/webhooks/signing.js';
import { useLocalStack } from '../../fakes/local-stack.js';

let stack: LocalStack;
let receiver: WebhookReceiver;
const secrets: string[] = [];

function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('api-key', stack.apiKey);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${stack.apiUrl}${path}`, { ...init, headers });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
  },
  async (started) => {
    stack = started;
    receiver = await startWebhookReceiver({ secrets, log: () => {} });
  },
);

afterAll(async () => {
  await receiver?.close();
});

describe('webhooks over the API and the deliver queue', () => {
  it('registers an endpoint, delivers a signed job.succeeded, records attempts, replays, rotates', async () => {
    const registered = await api('/v1/webhooks/endpoints', {
      method: 'POST',
      body: JSON.stringify({ url: receiver.url, description: 'e2e' }),
    });
    expect(registered.status).toBe(201);
    const endpoint = (await registered.json()) as { id: string; secret: string; enabled: boolean };
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint.enabled).toBe(true);
    expect(registered.headers.get('location')).toContain(`/api/v1/webhooks/endpoints/${endpoint.id}`);
    secrets.push(endpoint.secret);

    const listed = (await (await api('/v1/webhooks/endpoints')).json()) as {
      endpoints: Array<Record<string, unknown>>;
    };
    expect(listed.endpoints.map((e) => e.id)).toContain(endpoint.id);
    expect(JSON.stringify(listed)).not.toContain('whsec_');

    const submitted = await api('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 16,
      }),
      headers: { 'idempotency-key': 'webhook-e2e-1' },
    });
    expect(submitted.status).toBe(202);
    const job = (await submitted.json()) as { id: string; traceId: string };

    const first = await until('the webhook', () => receiver.received[0]);
    expect(first.verificationError).toBeUndefined();
    const verified = verifyWebhook({ payload: first.body, headers: first.headers, secrets: endpoint.secret });
    expect(JSON.parse(first.body)).toMatchObject({
      type: 'job.succeeded',
      data: { jobId: job.id, status: 'succeeded', traceId: job.traceId },
    });

    const attempts = await until('the attempt record', async () => {
      const body = (await (await api(`/v1/webhooks/endpoints/${endpoint.id}/attempts`)).json()) as {
        attempts: Array<Record<string, unknown>>;
      };
      return body.attempts.length > 0 ? body.attempts : undefined;
    });
    expect(attempts[0]).toMatchObject({ attempt: 1, status: 204, outcome: 'delivered', jobId: job.id });

    const replay = await api(`/v1/webhooks/jobs/${job.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toMatchObject({ replayed: 1 });
    const second = await until('the replay', () => receiver.received[1]);
    expect(second.headers['webhook-id']).toBe(verified.id);
    expect(second.body).toBe(first.body);

    const rotated = await api(`/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const { secret: newSecret } = (await rotated.json()) as { secret: string };
    await api(`/v1/webhooks/jobs/${job.id}/replay`, { method: 'POST' });
    const third = await until('the replay after rotation', () => receiver.received[2]);
    expect(String(third.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhook({ payload: third.body, headers: third.headers, secrets: newSecret }).id).toBe(
      verified.id,
    );
  });

  it('refuses an endpoint on port 0 with problem+json naming url, and stores URLs normalised', async () => {
    const refused = await api('/v1/webhooks/endpoints', {
      method: 'POST',
      body: JSON.stringify({ url: 'http://127.0.0.1:0/hook' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await refused.json()).toMatchObject({
      status: 400,
      errors: [{ field: 'url', message: 'The URL must not use port 0' }],
    });

    const created = await api('/v1/webhooks/endpoints', {
      method: 'POST',
      body: JSON.stringify({ url: `${receiver.url.replace('http:', 'HTTP:')}/../hook#fragment` }),
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { url: string }).url).toBe(new URL('hook', receiver.url).href);
  });

  it('refuses internal URLs with problem+json and hides other tenants’ endpoints', async () => {
    const refused = await api('/v1/webhooks/endpoints', {
      method: 'POST',
      body: JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data/' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await refused.json())).toContain('link-local');

    const { url } = receiver;
    const created = (await (
      await api('/v1/webhooks/endpoints', {
        method: 'POST',
        body: JSON.stringify({ url, eventTypes: ['job.failed'] }),
      })
    ).json()) as { id: string; eventTypes: string[] };
    expect(created.eventTypes).toEqual(['job.failed']);
    const badSince = await api(`/v1/webhooks/endpoints/${created.id}/replay`, {
      method: 'POST',
      body: JSON.stringify({ since: 'yesterday' }),
    });
    expect(badSince.status).toBe(400);
    const nothingFailed = await api(`/v1/webhooks/endpoints/${created.id}/replay`, {
      method: 'POST',
      body: JSON.stringify({ since: '2026-01-01T00:00:00Z' }),
    });
    expect(nothingFailed.status).toBe(202);
    expect(await nothingFailed.json()).toEqual({ replayed: 0, deliveries: [] });
    const enabled = await api(`/v1/webhooks/endpoints/${created.id}/enable`, { method: 'POST' });
    expect(enabled.status).toBe(200);

    const other = await stack.addTenant(`other-${Date.now()}`);
    const foreign = await fetch(`${stack.apiUrl}/v1/webhooks/endpoints/${created.id}`, {
      headers: { 'api-key': other },
    });
    expect(foreign.status).toBe(404);

    const missing = await api(`/v1/webhooks/endpoints/ep_${'0'.repeat(32)}/attempts`);
    expect(missing.status).toBe(404);
    const noEvent = await api(`/v1/webhooks/jobs/job_${'0'.repeat(32)}/replay`, { method: 'POST' });
    expect(noEvent.status).toBe(404);
  });
});
