// Conformance: scheduling, peek, duplicate detection, defer, TTL expiry.
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startHarness, testQueue, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness([
    testQueue('scheduled', { lockDuration: 'PT30S' }),
    testQueue('peek', { lockDuration: 'PT30S' }),
    testQueue('dedupe', { requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' }),
    testQueue('shortdedupe', {
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindow: 'PT0.3S',
    }),
    testQueue('defer', { lockDuration: 'PT30S' }),
    testQueue('ttl-dlq', { deadLetteringOnMessageExpiration: true }),
    testQueue('ttl-drop', { deadLetteringOnMessageExpiration: false }),
    testQueue('ttl-default', { defaultMessageTimeToLive: 'PT0.3S', deadLetteringOnMessageExpiration: true }),
  ]);
});
afterAll(async () => {
  await h.close();
});

describe('scheduled messages', () => {
  test('scheduleMessages hides a message until its time; it gets its sequence number at scheduling', async () => {
    const sender = h.client.createSender('scheduled');
    const at = new Date(Date.now() + 700);
    const [seq] = await sender.scheduleMessages({ body: 'later', messageId: 'sched-1' }, at);
    expect(seq!.toNumber()).toBeGreaterThan(0);
    expect(h.emulator.stats().scheduled).toMatchObject({ scheduled: 1, active: 0 });
    const receiver = h.client.createReceiver('scheduled');
    const [peeked] = await receiver.peekMessages(1, { fromSequenceNumber: seq! });
    expect(peeked!.state).toBe('scheduled');
    expect(peeked!.scheduledEnqueueTimeUtc!.getTime()).toBe(at.getTime());
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 100 })).toEqual([]);
    await eventually(() => h.emulator.stats().scheduled!.active === 1, 3000);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(m!.body).toBe('later');
    expect(m!.sequenceNumber!.equals(seq!)).toBe(true);
    expect(m!.scheduledEnqueueTimeUtc!.getTime()).toBe(at.getTime());
    await receiver.completeMessage(m!);
    await receiver.close();
    await sender.close();
  });

  test('cancelScheduledMessages removes scheduled messages; sending with scheduledEnqueueTimeUtc schedules too', async () => {
    const sender = h.client.createSender('scheduled');
    const at = new Date(Date.now() + 60_000);
    const seqs = await sender.scheduleMessages([{ body: 1 }, { body: 2 }], at);
    await sender.sendMessages({ body: 3, scheduledEnqueueTimeUtc: at });
    expect(h.emulator.stats().scheduled!.scheduled).toBe(3);
    await sender.cancelScheduledMessages(seqs);
    expect(h.emulator.stats().scheduled!.scheduled).toBe(1);
    await sender.close();
  });
});

describe('peek', () => {
  test('peekMessages reads without locking, in sequence order, from a given sequence number', async () => {
    const sender = h.client.createSender('peek');
    await sender.sendMessages([{ body: 'p0' }, { body: 'p1' }, { body: 'p2' }, { body: 'p3' }]);
    const receiver = h.client.createReceiver('peek');
    const all = await receiver.peekMessages(10);
    expect(all.map((m) => m.body as unknown)).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(h.emulator.stats().peek).toMatchObject({ active: 4, locked: 0 });
    const fromThird = await receiver.peekMessages(2, { fromSequenceNumber: all[2]!.sequenceNumber! });
    expect(fromThird.map((m) => m.body as unknown)).toEqual(['p2', 'p3']);
    // A locked message still shows up in peek.
    const [locked] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const again = await receiver.peekMessages(10, { fromSequenceNumber: all[0]!.sequenceNumber! });
    expect(again).toHaveLength(4);
    await receiver.completeMessage(locked!);
    const none = await receiver.peekMessages(10, { fromSequenceNumber: all[3]!.sequenceNumber!.add(1) });
    expect(none).toEqual([]);
    await receiver.close();
    await sender.close();
  });
});

describe('duplicate detection', () => {
  test('a repeated messageId within the window is dropped; other ids pass', async () => {
    const sender = h.client.createSender('dedupe');
    await sender.sendMessages({ body: 1, messageId: 'job-1:invoke:1' });
    await sender.sendMessages({ body: 2, messageId: 'job-1:invoke:1' });
    await sender.sendMessages([
      { body: 3, messageId: 'job-1:invoke:1' },
      { body: 4, messageId: 'job-1:invoke:2' },
    ]);
    expect(h.emulator.stats().dedupe!.active).toBe(2);
    const receiver = h.client.createReceiver('dedupe', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(5, { maxWaitTimeInMs: 500 });
    expect(got.map((m) => m.body as unknown)).toEqual([1, 4]);
    await receiver.close();
    await sender.close();
  });

  test('after the window has passed the same messageId is accepted again', async () => {
    const sender = h.client.createSender('shortdedupe');
    await sender.sendMessages({ body: 1, messageId: 'same' });
    await sender.sendMessages({ body: 2, messageId: 'same' });
    expect(h.emulator.stats().shortdedupe!.active).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    await sender.sendMessages({ body: 3, messageId: 'same' });
    expect(h.emulator.stats().shortdedupe!.active).toBe(2);
    await sender.close();
  });
});

describe('defer', () => {
  test('deferred messages leave the queue and come back only through receiveDeferredMessages', async () => {
    const sender = h.client.createSender('defer');
    const receiver = h.client.createReceiver('defer');
    await sender.sendMessages([{ body: 'first' }, { body: 'second' }]);
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.deferMessage(first!, { note: 'later' });
    expect(h.emulator.stats().defer).toMatchObject({ deferred: 1, active: 1 });
    const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(second!.body).toBe('second');
    await receiver.completeMessage(second!);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]);

    const [peeked] = await receiver.peekMessages(1, { fromSequenceNumber: first!.sequenceNumber! });
    expect(peeked!.state).toBe('deferred');
    const [deferred] = await receiver.receiveDeferredMessages(first!.sequenceNumber!);
    const d = deferred as ServiceBusReceivedMessage;
    expect(d.body).toBe('first');
    expect(d.state).toBe('deferred');
    expect(d.deliveryCount).toBe(0);
    expect(d.applicationProperties).toMatchObject({ note: 'later' });
    await receiver.renewMessageLock(d);
    // Abandoning a deferred message keeps it deferred.
    await receiver.abandonMessage(d);
    expect(h.emulator.stats().defer).toMatchObject({ deferred: 1, locked: 0 });
    const [again] = await receiver.receiveDeferredMessages([first!.sequenceNumber!]);
    expect(again!.deliveryCount).toBe(1);
    await receiver.completeMessage(again!);
    expect(h.emulator.stats().defer).toMatchObject({ deferred: 0, active: 0, locked: 0 });
    const err = await receiver.receiveDeferredMessages(first!.sequenceNumber!).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(err?.code).toBe('MessageNotFound');
    await receiver.close();
    await sender.close();
  });
});

describe('time to live', () => {
  test('an expired message is dead-lettered with TTLExpiredException when the queue says so', async () => {
    const sender = h.client.createSender('ttl-dlq');
    await sender.sendMessages({ body: 'short-lived', timeToLive: 300 });
    await sender.sendMessages({ body: 'long-lived' });
    await eventually(() => h.emulator.stats()['ttl-dlq']!.deadLettered === 1, 3000);
    expect(h.emulator.stats()['ttl-dlq']!.active).toBe(1);
    const dlq = h.client.createReceiver('ttl-dlq', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(dead!.body).toBe('short-lived');
    expect(dead!.deadLetterReason).toBe('TTLExpiredException');
    expect(dead!.timeToLive).toBe(300);
    await dlq.close();
    await sender.close();
  });

  test('an expired message is dropped when dead-lettering on expiration is off', async () => {
    const sender = h.client.createSender('ttl-drop');
    await sender.sendMessages({ body: 'gone', timeToLive: 200 });
    await eventually(() => h.emulator.stats()['ttl-drop']!.active === 0, 3000);
    expect(h.emulator.stats()['ttl-drop']!.deadLettered).toBe(0);
    const receiver = h.client.createReceiver('ttl-drop');
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]);
    await receiver.close();
    await sender.close();
  });

  test("the queue's defaultMessageTimeToLive applies to messages without their own", async () => {
    const sender = h.client.createSender('ttl-default');
    await sender.sendMessages({ body: 'default ttl' });
    await eventually(() => h.emulator.stats()['ttl-default']!.deadLettered === 1, 3000);
    await sender.close();
  });
});
