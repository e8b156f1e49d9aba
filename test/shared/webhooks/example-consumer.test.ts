/** The documented example consumer behaves as its docs say: verifies, de-duplicates, answers fast. */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, type JobEventPayload } from '../../../examples/webhook-consumer/consumer.js';
import { createWebhookHttpClient } from '../../../shared/webhooks/http-client.js';
import { generateSecret, signWebhook } from '../../../shared/webhooks/signing.js';
import { localPolicy } from './harness.js';

const secret = generateSecret();
const events: Array<{ event: JobEventPayload; id: string }> = [];
const server = createConsumer({ secrets: [secret], onEvent: (event, id) => void events.push({ event, id }) });
let url = '';
const client = createWebhookHttpClient({ policy: localPolicy, timeoutMs: 2000, maxResponseBytes: 1024 });

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const body = JSON.stringify({
  type: 'job.succeeded',
  timestamp: '2026-11-25T20:00:00.000Z',
  data: { jobId: 'job_1', status: 'succeeded', traceId: 't', metadata: {} },
});

describe('example consumer', () => {
  it('accepts a signed event once and acknowledges its duplicate without acting again', async () => {
    const send = () =>
      client.send({
        url,
        headers: { ...signWebhook({ id: 'evt_1', timestamp: new Date(), payload: body, secrets: [secret] }) },
        body,
      });
    expect(await send()).toMatchObject({ kind: 'response', status: 204 });
    expect(await send()).toMatchObject({ kind: 'response', status: 204 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([{ event: JSON.parse(body), id: 'evt_1' }]);
  });

  it('refuses a request signed with another secret or too old', async () => {
    const wrong = signWebhook({
      id: 'evt_2',
      timestamp: new Date(),
      payload: body,
      secrets: [generateSecret()],
    });
    expect(await client.send({ url, headers: { ...wrong }, body })).toMatchObject({
      status: 401,
      bodySnippet: 'No matching signature found',
    });
    const old = signWebhook({
      id: 'evt_3',
      timestamp: new Date(Date.now() - 10 * 60_000),
      payload: body,
      secrets: [secret],
    });
    expect(await client.send({ url, headers: { ...old }, body })).toMatchObject({
      status: 401,
      bodySnippet: 'Message timestamp too old',
    });
    expect(events.map((e) => e.id)).toEqual(['evt_1']);
  });
});
