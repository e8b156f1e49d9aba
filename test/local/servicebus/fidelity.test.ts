// Conformance: every message property and AMQP type arrives as sent.
import type { AmqpAnnotatedMessage } from '@azure/core-amqp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, testQueue, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness([testQueue('fidelity', { lockDuration: 'PT30S' })]);
});
afterAll(async () => {
  await h.close();
});

describe('fidelity', () => {
  test('system properties, application property types and body kinds round-trip unchanged', async () => {
    const sender = h.client.createSender('fidelity');
    const receiver = h.client.createReceiver('fidelity', { receiveMode: 'receiveAndDelete' });
    const scheduled = new Date(Date.now() - 1000);
    const when = new Date('2026-01-02T03:04:05.678Z');
    await sender.sendMessages({
      body: { nested: { list: [1, 'two', true, null] }, n: 1.5 },
      messageId: 'job-42:invoke:1',
      correlationId: 'corr-1',
      contentType: 'application/json',
      subject: 'job.accepted',
      to: 'invoke',
      replyTo: 'replies',
      replyToSessionId: 'reply-session',
      sessionId: 'session-1',
      partitionKey: 'session-1',
      timeToLive: 120_000,
      scheduledEnqueueTimeUtc: scheduled,
      applicationProperties: {
        small: 7,
        negative: -3,
        big: 2 ** 40,
        double: 2.25,
        flag: false,
        text: 'héllo ✓',
        when,
        nothing: null,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    await sender.sendMessages({ body: 'plain string' });
    await sender.sendMessages({ body: Buffer.from([0, 1, 2, 255]) });
    await sender.sendMessages({ body: 12345, messageId: 'numeric-body' });
    const got = await receiver.receiveMessages(4, { maxWaitTimeInMs: 2000 });
    expect(got).toHaveLength(4);
    const [m, str, bin, num] = got;
    expect(m!.body).toEqual({ nested: { list: [1, 'two', true, null] }, n: 1.5 });
    expect(m!.messageId).toBe('job-42:invoke:1');
    expect(m!.correlationId).toBe('corr-1');
    expect(m!.contentType).toBe('application/json');
    expect(m!.subject).toBe('job.accepted');
    expect(m!.to).toBe('invoke');
    expect(m!.replyTo).toBe('replies');
    expect(m!.replyToSessionId).toBe('reply-session');
    expect(m!.sessionId).toBe('session-1');
    expect(m!.partitionKey).toBe('session-1');
    expect(m!.timeToLive).toBe(120_000);
    expect(m!.scheduledEnqueueTimeUtc!.getTime()).toBe(scheduled.getTime());
    expect(m!.expiresAtUtc!.getTime()).toBe(m!.enqueuedTimeUtc!.getTime() + 120_000);
    expect(m!.applicationProperties).toEqual({
      small: 7,
      negative: -3,
      big: 2 ** 40,
      double: 2.25,
      flag: false,
      text: 'héllo ✓',
      when: when.getTime(),
      nothing: null,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(str!.body).toBe('plain string');
    expect(Buffer.from(bin!.body as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(num!.body).toBe(12345);
    await receiver.close();
    await sender.close();
  });

  test('raw AMQP messages keep their body type, annotations and property types', async () => {
    const sender = h.client.createSender('fidelity');
    const receiver = h.client.createReceiver('fidelity', { receiveMode: 'receiveAndDelete' });
    const sequence: AmqpAnnotatedMessage = {
      body: [
        [1, 2],
        ['a', 'b'],
      ],
      bodyType: 'sequence',
      messageAnnotations: { 'x-custom-annotation': 'kept' },
      applicationProperties: { count: 3 },
      properties: { messageId: 'seq-body', groupId: 'g', groupSequence: 9, contentEncoding: 'identity' },
    };
    const value: AmqpAnnotatedMessage = {
      body: { k: 'v' },
      bodyType: 'value',
      properties: { messageId: 'value-body' },
    };
    const data: AmqpAnnotatedMessage = {
      body: Buffer.from('raw data'),
      bodyType: 'data',
      properties: { messageId: 'data-body' },
    };
    await sender.sendMessages(sequence);
    await sender.sendMessages([value, data]);
    const got = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    expect(got.map((m) => m.messageId)).toEqual(['seq-body', 'value-body', 'data-body']);
    const [s, v, d] = got.map((m) => m._rawAmqpMessage);
    expect(s!.bodyType).toBe('sequence');
    // Two amqp-sequence sections come back as two sections (rhea's Section object), in order.
    expect((s!.body as { content: unknown }).content).toEqual([
      [1, 2],
      ['a', 'b'],
    ]);
    expect(s!.messageAnnotations!['x-custom-annotation']).toBe('kept');
    expect(s!.applicationProperties).toEqual({ count: 3 });
    expect(s!.properties!.groupSequence).toBe(9);
    expect(s!.properties!.contentEncoding).toBe('identity');
    expect(v!.bodyType).toBe('value');
    expect(v!.body).toEqual({ k: 'v' });
    expect(d!.bodyType).toBe('data');
    expect(Buffer.from(got[2]!.body as Uint8Array).toString()).toBe('raw data');
    await receiver.close();
    await sender.close();
  });
});
