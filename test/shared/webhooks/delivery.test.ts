/**
 * Delivery end to end within the webhook domain: real Cosmos (embedded) through the SDK, the real HTTP
 * client with its SSRF guard, real node:http receivers on 127.0.0.1 (allow-listed), and a movable clock so
 * schedules are checked without waiting.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedWebhook, ScriptedResponse } from '../../../local/webhook-receiver/index.js';
import { processDelivery, planDeliveries } from '../../../shared/webhooks/delivery.js';
import {
  registerEndpoint,
  rotateSecret,
  enableEndpoint,
  getEndpoint,
} from '../../../shared/webhooks/endpoints.js';
import { webhookIdFor } from '../../../shared/webhooks/events.js';
import { replayFailedSince, replayJob } from '../../../shared/webhooks/replay.js';
import { verifyWebhook } from '../../../shared/webhooks/signing.js';
import { jobEvent, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const tenant = () => `tenant_${randomUUID().slice(0, 8)}`;

/** Registers an endpoint pointing at a fresh receiver that answers with `script` (default 204). */
async function setup(script?: (request: ReceivedWebhook, index: number) => ScriptedResponse | undefined) {
  const tenantId = tenant();
  let secret = '';
  const receiver = await h.receiver({
    secrets: [],
    ...(script ? { respond: script } : {}),
  });
  const registered = await registerEndpoint(h.deps, tenantId, { url: receiver.url, description: 'test' });
  secret = registered.secret;
  return { tenantId, receiver, endpointId: registered.endpoint.id, secret };
}

async function firstMessage(tenantId: string, overrides = {}) {
  const event = jobEvent(tenantId, overrides);
  const messages = await planDeliveries(h.deps, event);
  expect(messages).toHaveLength(1);
  return { event, message: messages[0]! };
}

describe('delivery', () => {
  it('delivers a signed event the consumer can verify, and records the attempt', async () => {
    const { tenantId, receiver, endpointId, secret } = await setup();
    const { event, message } = await firstMessage(tenantId);

    expect(await processDelivery(h.deps, h.scheduler, message, 1)).toEqual({ kind: 'delivered' });

    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    const verified = verifyWebhook({
      payload: got.body,
      headers: got.headers,
      secrets: secret,
      now: h.clock.now,
    });
    expect(verified.id).toBe(webhookIdFor(tenantId, event.jobId, 'job.succeeded'));
    expect(JSON.parse(got.body)).toMatchObject({
      type: 'job.succeeded',
      timestamp: event.occurredAt,
      data: { jobId: event.jobId, status: 'succeeded', result: { content: 'hello' }, traceId: event.traceId },
    });
    expect(got.headers['content-type']).toBe('application/json');

    const attempts = await h.deps.store.listAttempts(tenantId, endpointId);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, status: 204, outcome: 'delivered' });
    expect((await h.deps.store.getDelivery(tenantId, message.deliveryId))?.status).toBe('delivered');
    expect((await getEndpoint(h.deps, tenantId, endpointId)).lastSuccessAt).toBe(h.clock.now.toISOString());
  });

  it('retries after a 500 on the schedule (5 s) with the same webhook-id and body', async () => {
    const { tenantId, receiver, endpointId } = await setup((_r, i) => ({ status: i === 0 ? 500 : 200 }));
    const { message } = await firstMessage(tenantId);
    const before = h.scheduled.length;

    expect(await processDelivery(h.deps, h.scheduler, message, 1)).toEqual({ kind: 'retry', afterMs: 5000 });
    const retry = h.scheduled[before]!;
    expect(retry).toMatchObject({ attempt: 2, delayMs: 5000 });
    expect(retry.message).toEqual(message);

    h.clock.advance(retry.delayMs);
    expect(await processDelivery(h.deps, h.scheduler, retry.message, retry.attempt)).toEqual({
      kind: 'delivered',
    });

    const [first, second] = receiver.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect(Number(second!.headers['webhook-timestamp'])).toBe(
      Number(first!.headers['webhook-timestamp']) + 5,
    );
    const attempts = await h.deps.store.listAttempts(tenantId, endpointId);
    expect(attempts.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [2, 200, 'delivered'],
      [1, 500, 'retry'],
    ]);
    expect(attempts[1]!.error).toBe('HTTP 500');
  });

  it('treats a response slower than the timeout as a failure and retries', async () => {
    const { tenantId, endpointId } = await setup(() => ({ status: 200, delayMs: 2000 }));
    const { message } = await firstMessage(tenantId);
    const started = Date.now();
    expect(await processDelivery(h.deps, h.scheduler, message, 1)).toEqual({ kind: 'retry', afterMs: 5000 });
    expect(Date.now() - started).toBeLessThan(1500);
    const [attempt] = await h.deps.store.listAttempts(tenantId, endpointId);
    expect(attempt).toMatchObject({ outcome: 'retry' });
    expect(attempt!.status).toBeUndefined();
    expect(attempt).toMatchObject({ error: 'No answer within 400 ms', errorCode: 'timeout' });
  });

  it('honours Retry-After on 429, 502 and 504 but not on other failures', async () => {
    const answers: ScriptedResponse[] = [
      { status: 429, headers: { 'retry-after': '120' } },
      { status: 502, headers: { 'retry-after': '3600' } },
      {
        status: 504,
        headers: { 'retry-after': new Date(h.clock.now.getTime() + 3 * 3600_000).toUTCString() },
      },
      { status: 500, headers: { 'retry-after': '3600' } },
    ];
    const { tenantId } = await setup((_r, i) => answers[i]);
    const { message } = await firstMessage(tenantId);
    expect(await processDelivery(h.deps, h.scheduler, message, 1)).toEqual({
      kind: 'retry',
      afterMs: 120_000,
    });
    expect(await processDelivery(h.deps, h.scheduler, message, 2)).toEqual({
      kind: 'retry',
      afterMs: 3_600_000,
    });
    const third = await processDelivery(h.deps, h.scheduler, message, 3);
    // An HTTP-date Retry-After (3 h) beats the schedule's 30 min; the date has whole-second precision.
    expect(third.kind === 'retry' && Math.abs(third.afterMs - 3 * 3600_000) <= 1000).toBe(true);
    // Attempt 4 failed with a plain 500: the schedule's 2 h applies, its Retry-After does not.
    expect(await processDelivery(h.deps, h.scheduler, message, 4)).toEqual({
      kind: 'retry',
      afterMs: 7_200_000,
    });
  });

  it('gives up after the tenth attempt and marks the delivery failed', async () => {
    const { tenantId, receiver } = await setup(() => ({ status: 503 }));
    const { message } = await firstMessage(tenantId);
    const outcomes = [];
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      outcomes.push(await processDelivery(h.deps, h.scheduler, message, attempt));
    }
    expect(outcomes.slice(0, 9).every((o) => o.kind === 'retry')).toBe(true);
    expect(outcomes[9]).toEqual({
      kind: 'gaveUp',
      reason: 'retries exhausted after 10 attempts; last error: HTTP 503',
    });
    expect(receiver.received).toHaveLength(10);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect((await h.deps.store.getDelivery(tenantId, message.deliveryId))?.status).toBe('failed');
  });

  it('disables the endpoint on 410 Gone and sends it nothing more', async () => {
    const { tenantId, receiver, endpointId } = await setup(() => ({ status: 410 }));
    const { message } = await firstMessage(tenantId);
    const outcome = await processDelivery(h.deps, h.scheduler, message, 1);
    expect(outcome.kind).toBe('disabled');
    const endpoint = await getEndpoint(h.deps, tenantId, endpointId);
    expect(endpoint.enabled).toBe(false);
    expect(endpoint.disabledReason).toMatch(/410 Gone/);

    // A retry already in flight is not sent; new events are not planned for it.
    expect((await processDelivery(h.deps, h.scheduler, message, 2)).kind).toBe('disabled');
    expect(receiver.received).toHaveLength(1);
    expect(await planDeliveries(h.deps, jobEvent(tenantId))).toEqual([]);

    await enableEndpoint(h.deps, tenantId, endpointId);
    expect(await planDeliveries(h.deps, jobEvent(tenantId))).toHaveLength(1);
  });

  it('disables an endpoint whose every attempt failed for 5 days, with a reason the tenant sees', async () => {
    const { tenantId, endpointId } = await setup(() => ({ status: 500 }));
    const { message } = await firstMessage(tenantId);
    const failingFrom = h.clock.now.toISOString();
    expect((await processDelivery(h.deps, h.scheduler, message, 1)).kind).toBe('retry');
    expect((await getEndpoint(h.deps, tenantId, endpointId)).failingSince).toBe(failingFrom);

    h.clock.advance(4 * 24 * 3600_000);
    const { message: later } = await firstMessage(tenantId);
    expect((await processDelivery(h.deps, h.scheduler, later, 1)).kind).toBe('retry');

    h.clock.advance(24 * 3600_000);
    const { message: last } = await firstMessage(tenantId);
    const outcome = await processDelivery(h.deps, h.scheduler, last, 1);
    expect(outcome.kind).toBe('disabled');
    const endpoint = await getEndpoint(h.deps, tenantId, endpointId);
    expect(endpoint.enabled).toBe(false);
    expect(endpoint.disabledReason).toBe(
      `Every delivery attempt failed since ${failingFrom} (over 5 days); re-enable it once the endpoint is fixed.`,
    );
  });

  it('a success clears the failing streak', async () => {
    const { tenantId, endpointId } = await setup((_r, i) => ({ status: i === 0 ? 500 : 204 }));
    const { message } = await firstMessage(tenantId);
    await processDelivery(h.deps, h.scheduler, message, 1);
    expect((await getEndpoint(h.deps, tenantId, endpointId)).failingSince).toBeDefined();
    await processDelivery(h.deps, h.scheduler, message, 2);
    expect((await getEndpoint(h.deps, tenantId, endpointId)).failingSince).toBeUndefined();
  });

  it('does not follow redirects, even to an allowed address', async () => {
    const target = await h.receiver();
    const { tenantId, endpointId } = await setup(() => ({ status: 302, headers: { location: target.url } }));
    const { message } = await firstMessage(tenantId);
    expect((await processDelivery(h.deps, h.scheduler, message, 1)).kind).toBe('retry');
    expect(target.received).toHaveLength(0);
    const [attempt] = await h.deps.store.listAttempts(tenantId, endpointId);
    expect(attempt).toMatchObject({ status: 302 });
    expect(attempt!.error).toContain('redirect not followed');
  });

  it('reads only the start of a large response', async () => {
    const { tenantId, endpointId } = await setup(() => ({ status: 200, body: 'x'.repeat(2 * 1024 * 1024) }));
    const { message } = await firstMessage(tenantId);
    expect(await processDelivery(h.deps, h.scheduler, message, 1)).toEqual({ kind: 'delivered' });
    const [attempt] = await h.deps.store.listAttempts(tenantId, endpointId);
    expect(attempt!.responseSnippet).toHaveLength(1024);
  });

  it('sends a result larger than the inline limit as a link', async () => {
    const { tenantId, receiver } = await setup();
    const big = jobEvent(tenantId);
    const { message } = await firstMessage(tenantId, {
      jobId: big.jobId,
      result: { ...big.result!, content: 'y'.repeat(30 * 1024) },
    });
    await processDelivery(h.deps, h.scheduler, message, 1);
    const body = JSON.parse(receiver.received[0]!.body);
    expect(body.data.result).toBeUndefined();
    expect(body.data.resultUrl).toBe(`http://localhost:7071/api/v1/jobs/${big.jobId}`);
    expect(receiver.received[0]!.body.length).toBeLessThan(2048);
  });

  it('only delivers event types the endpoint subscribed to, and to the endpoint a job named', async () => {
    const tenantId = tenant();
    const a = await h.receiver();
    const b = await h.receiver();
    const onlyFailed = await registerEndpoint(h.deps, tenantId, { url: a.url, eventTypes: ['job.failed'] });
    const all = await registerEndpoint(h.deps, tenantId, { url: b.url });
    const succeeded = await planDeliveries(h.deps, jobEvent(tenantId));
    expect(succeeded.map((m) => m.endpointId)).toEqual([all.endpoint.id]);
    const failed = await planDeliveries(
      h.deps,
      jobEvent(tenantId, {
        type: 'job.failed',
        status: 'failed',
        error: { code: 'content_filter', message: 'x' },
      }),
    );
    expect(failed.map((m) => m.endpointId).sort()).toEqual([onlyFailed.endpoint.id, all.endpoint.id].sort());
    const named = await planDeliveries(
      h.deps,
      jobEvent(tenantId, { type: 'job.failed', status: 'failed', webhookEndpointId: onlyFailed.endpoint.id }),
    );
    expect(named.map((m) => m.endpointId)).toEqual([onlyFailed.endpoint.id]);
  });

  it('plans each event once: duplicates carry the same webhook-id and delivered ones are not resent', async () => {
    const { tenantId, receiver } = await setup();
    const event = jobEvent(tenantId);
    const [first] = await planDeliveries(h.deps, event);
    const [again] = await planDeliveries(h.deps, event);
    expect(again).toEqual(first);
    await processDelivery(h.deps, h.scheduler, first!, 1);
    // At-least-once: the same message handled twice sends twice, with one id the consumer de-duplicates on.
    await processDelivery(h.deps, h.scheduler, first!, 1);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([
      first!.webhookId,
      first!.webhookId,
    ]);
    expect(await planDeliveries(h.deps, event)).toEqual([]);
  });
});

describe('replay', () => {
  it('resends one job event with the same id and body', async () => {
    const { tenantId, receiver } = await setup();
    const { event, message } = await firstMessage(tenantId);
    await processDelivery(h.deps, h.scheduler, message, 1);

    const replays = await replayJob(h.deps, tenantId, event.jobId);
    expect(replays).toHaveLength(1);
    expect(replays[0]!.replay).toBe(1);
    expect(await processDelivery(h.deps, h.scheduler, replays[0]!, 1)).toEqual({ kind: 'delivered' });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    await expect(replayJob(h.deps, tenantId, 'job_unknown')).rejects.toThrow(/No webhook event/);
  });

  it('resends everything that failed for an endpoint since a time', async () => {
    let healthy = false;
    const { tenantId, receiver, endpointId } = await setup(() => ({ status: healthy ? 204 : 500 }));
    const since = new Date(h.clock.now.getTime() - 1000);
    const failedMessages = [];
    for (let i = 0; i < 2; i += 1) {
      const { message } = await firstMessage(tenantId);
      for (let attempt = 1; attempt <= 10; attempt += 1)
        await processDelivery(h.deps, h.scheduler, message, attempt);
      failedMessages.push(message);
    }
    healthy = true;
    const replays = await replayFailedSince(h.deps, tenantId, endpointId, since);
    expect(replays.map((m) => m.deliveryId).sort()).toEqual(failedMessages.map((m) => m.deliveryId).sort());
    for (const replay of replays) {
      expect(await processDelivery(h.deps, h.scheduler, replay, 1)).toEqual({ kind: 'delivered' });
    }
    expect(
      receiver.received
        .slice(-2)
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual(failedMessages.map((m) => m.webhookId).sort());
    expect(await replayFailedSince(h.deps, tenantId, endpointId, since)).toEqual([]);
    expect(
      await replayFailedSince(h.deps, tenantId, endpointId, new Date(h.clock.now.getTime() + 1000)),
    ).toEqual([]);
  });
});

describe('secret rotation', () => {
  it('signs with old and new secrets during the overlap, then only the new', async () => {
    const { tenantId, receiver, endpointId, secret: oldSecret } = await setup();
    const rotated = await rotateSecret(h.deps, tenantId, endpointId, { overlapSeconds: 3600 });
    expect(rotated.secret).not.toBe(oldSecret);
    expect(rotated.endpoint.secrets).toHaveLength(2);

    const { message } = await firstMessage(tenantId);
    await processDelivery(h.deps, h.scheduler, message, 1);
    const during = receiver.received[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, rotated.secret]) {
      expect(
        verifyWebhook({ payload: during.body, headers: during.headers, secrets: secret, now: h.clock.now })
          .id,
      ).toBe(message.webhookId);
    }

    h.clock.advance(3601_000);
    const { message: after } = await firstMessage(tenantId);
    await processDelivery(h.deps, h.scheduler, after, 1);
    const later = receiver.received[1]!;
    expect(String(later.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(
      verifyWebhook({
        payload: later.body,
        headers: later.headers,
        secrets: rotated.secret,
        now: h.clock.now,
      }).id,
    ).toBe(after.webhookId);
    expect(() =>
      verifyWebhook({ payload: later.body, headers: later.headers, secrets: oldSecret, now: h.clock.now }),
    ).toThrow(/No webhook-signature matches/);
  });

  it('ends the old secret at once with overlapSeconds 0 (after a leak)', async () => {
    const { tenantId, receiver, endpointId, secret: leaked } = await setup();
    const rotated = await rotateSecret(h.deps, tenantId, endpointId, { overlapSeconds: 0 });
    const { message } = await firstMessage(tenantId);
    await processDelivery(h.deps, h.scheduler, message, 1);
    const got = receiver.received[0]!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(
      verifyWebhook({ payload: got.body, headers: got.headers, secrets: rotated.secret, now: h.clock.now })
        .id,
    ).toBe(message.webhookId);
    expect(() =>
      verifyWebhook({ payload: got.body, headers: got.headers, secrets: leaked, now: h.clock.now }),
    ).toThrow();
    // A later rotation drops the expired secret from the record.
    expect((await rotateSecret(h.deps, tenantId, endpointId, {})).endpoint.secrets).toHaveLength(2);
  });

  it('stores secrets only encrypted', async () => {
    const { tenantId, endpointId, secret } = await setup();
    const stored = await h.deps.store.getEndpoint(tenantId, endpointId);
    const raw = JSON.stringify(stored);
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(secret.slice('whsec_'.length));
    expect(stored!.value.secrets[0]!.encrypted.dataKey.kekId).toMatch(/^local:/);
  });
});
