import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toWebhookPayload, webhookIdFor, type JobEvent } from '../../../shared/webhooks/events.js';
import { decryptSecret, encryptSecret, LocalKeyWrapper } from '../../../shared/webhooks/key-wrapper.js';
import { delayBefore, parseRetryAfter, RETRY_SCHEDULE_MS } from '../../../shared/webhooks/retry-schedule.js';

describe('envelope encryption of endpoint secrets', () => {
  const wrapper = new LocalKeyWrapper(randomBytes(32));

  it('round-trips and stores nothing that reveals the secret', async () => {
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    const stored = await encryptSecret(wrapper, secret, 'webhook-secret/t1/ep1/s1');
    const serialized = JSON.stringify(stored);
    expect(serialized).not.toContain(secret.slice(6));
    expect(stored.dataKey.kekId).toBe(wrapper.kekId);
    expect(await decryptSecret(wrapper, stored, 'webhook-secret/t1/ep1/s1')).toBe(secret);
  });

  it('fails for another record context, another KEK or a tampered ciphertext', async () => {
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'webhook-secret/t1/ep1/s1');
    await expect(decryptSecret(wrapper, stored, 'webhook-secret/t2/ep1/s1')).rejects.toThrow();
    await expect(
      decryptSecret(new LocalKeyWrapper(randomBytes(32)), stored, 'webhook-secret/t1/ep1/s1'),
    ).rejects.toThrow(/Unknown key-encryption key/);
    const bytes = Buffer.from(stored.ciphertext, 'base64');
    bytes[14] = (bytes[14] ?? 0) ^ 1;
    await expect(
      decryptSecret(wrapper, { ...stored, ciphertext: bytes.toString('base64') }, 'webhook-secret/t1/ep1/s1'),
    ).rejects.toThrow();
  });

  it('keeps data keys wrapped by a previous KEK readable after a KEK rotation', async () => {
    const oldKek = randomBytes(32);
    const stored = await encryptSecret(new LocalKeyWrapper(oldKek), 'whsec_abc=', 'ctx');
    expect(await decryptSecret(new LocalKeyWrapper(randomBytes(32), [oldKek]), stored, 'ctx')).toBe(
      'whsec_abc=',
    );
  });

  it('rejects a KEK that is not 32 bytes', () => {
    expect(() => new LocalKeyWrapper(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('event payloads', () => {
  const event: JobEvent = {
    tenantId: 't1',
    jobId: 'job_1',
    type: 'job.succeeded',
    occurredAt: '2026-11-25T20:00:00.000Z',
    status: 'succeeded',
    result: { content: 'hello', refusal: null, finishReason: 'stop', model: 'gpt-4o-mini', deployment: 'd1' },
    usage: { promptTokens: 3, completionTokens: 2, cachedTokens: 0, totalTokens: 5, costUsd: 0.00001 },
    metadata: { team: 'search' },
    traceId: '0af7651916cd43dd8448eb211c80319c',
  };
  const options = {
    maxInlineBytes: 20 * 1024,
    resultUrlFor: (id: string) => `https://api.test/api/v1/jobs/${id}`,
  };

  it('carries type, timestamp and job data', () => {
    expect(JSON.parse(toWebhookPayload(event, options))).toEqual({
      type: 'job.succeeded',
      timestamp: '2026-11-25T20:00:00.000Z',
      data: {
        jobId: 'job_1',
        status: 'succeeded',
        result: event.result,
        usage: event.usage,
        metadata: { team: 'search' },
        traceId: '0af7651916cd43dd8448eb211c80319c',
      },
    });
  });

  it('sends a large result as a link instead', () => {
    const big = { ...event, result: { ...event.result!, content: 'x'.repeat(25 * 1024) } };
    const payload = toWebhookPayload(big, options);
    expect(Buffer.byteLength(payload)).toBeLessThan(1024);
    const parsed = JSON.parse(payload);
    expect(parsed.data.result).toBeUndefined();
    expect(parsed.data.resultUrl).toBe('https://api.test/api/v1/jobs/job_1');
  });

  it('derives a stable webhook-id per event, distinct per type, tenant and job, without "."', () => {
    const id = webhookIdFor('t1', 'job_1', 'job.succeeded');
    expect(id).toBe(webhookIdFor('t1', 'job_1', 'job.succeeded'));
    expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(webhookIdFor('t1', 'job_1', 'job.failed')).not.toBe(id);
    expect(webhookIdFor('t2', 'job_1', 'job.succeeded')).not.toBe(id);
    expect(webhookIdFor('t1', 'job_2', 'job.succeeded')).not.toBe(id);
  });
});

describe('retry schedule', () => {
  it('follows the Standard Webhooks schedule and ends after 10 attempts', () => {
    const noJitter = { random: () => 0 };
    const delays = [2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => delayBefore(n, RETRY_SCHEDULE_MS, noJitter));
    expect(delays).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5]);
    expect(delayBefore(11, RETRY_SCHEDULE_MS, noJitter)).toBeUndefined();
  });

  it('adds at most 10% jitter, never less than the schedule', () => {
    expect(delayBefore(3, RETRY_SCHEDULE_MS, { random: () => 0.999 })).toBe(Math.round(300_000 * 1.0999));
  });

  it('honours a longer Retry-After, capped at a day', () => {
    expect(delayBefore(2, RETRY_SCHEDULE_MS, { retryAfterMs: 120_000, random: () => 0 })).toBe(120_000);
    expect(delayBefore(3, RETRY_SCHEDULE_MS, { retryAfterMs: 1_000, random: () => 0 })).toBe(300_000);
    expect(delayBefore(2, RETRY_SCHEDULE_MS, { retryAfterMs: 9e9, random: () => 0 })).toBe(86_400_000);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = new Date('2026-11-25T20:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 20:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
