// Conformance: lock expiry, renewal, stale locks, max delivery count, and $management settlement.
import { isServiceBusError } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, sleep, startHarness, testQueue, type Harness } from './helpers.js';

let h: Harness;
const LOCK_MS = 600;

beforeAll(async () => {
  h = await startHarness([
    testQueue('expiry', { lockDuration: 'PT0.6S' }),
    testQueue('renew', { lockDuration: 'PT0.6S' }),
    testQueue('stale', { lockDuration: 'PT0.6S' }),
    testQueue('maxdelivery', { lockDuration: 'PT30S', maxDeliveryCount: 3 }),
    testQueue('mgmt', { lockDuration: 'PT30S' }),
  ]);
});
afterAll(async () => {
  await h.close();
});

function code(err: unknown): string | undefined {
  return isServiceBusError(err) ? err.code : undefined;
}

describe('locks', () => {
  test('an expired lock returns the message with delivery count + 1', async () => {
    const sender = h.client.createSender('expiry');
    // The SDK renews locks by itself by default; switch that off to let the lock lapse.
    const receiver = h.client.createReceiver('expiry', { maxAutoLockRenewalDurationInMs: 0 });
    await sender.sendMessages({ body: 'slow' });
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(first!.deliveryCount).toBe(0);
    expect(h.emulator.stats().expiry!.locked).toBe(1);
    await eventually(() => h.emulator.stats().expiry!.active === 1, LOCK_MS * 5);
    const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(second!.body).toBe('slow');
    expect(second!.deliveryCount).toBe(1);
    await receiver.completeMessage(second!);
    await receiver.close();
    await sender.close();
  });

  test('renewMessageLock extends the lock past its original expiry', async () => {
    const sender = h.client.createSender('renew');
    // No auto lock renewal: the test renews by hand.
    const receiver = h.client.createReceiver('renew', { maxAutoLockRenewalDurationInMs: 0 });
    await sender.sendMessages({ body: 'renew me' });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const original = m!.lockedUntilUtc!.getTime();
    for (let i = 0; i < 3; i++) {
      await sleep(LOCK_MS / 2);
      const until = await receiver.renewMessageLock(m!);
      expect(until.getTime()).toBeGreaterThan(Date.now());
    }
    // Well past the original lock: still held, and completing works.
    expect(Date.now()).toBeGreaterThan(original);
    expect(h.emulator.stats().renew!.locked).toBe(1);
    await receiver.completeMessage(m!);
    expect(h.emulator.stats().renew).toMatchObject({ active: 0, locked: 0 });
    await receiver.close();
    await sender.close();
  });

  test('settling with a stale lock fails with MessageLockLost', async () => {
    const sender = h.client.createSender('stale');
    const receiver = h.client.createReceiver('stale', { maxAutoLockRenewalDurationInMs: 0 });
    await sender.sendMessages({ body: 'late' });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await eventually(() => h.emulator.stats().stale!.active === 1, LOCK_MS * 5);
    const err = await receiver.completeMessage(m!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(code(err)).toBe('MessageLockLost');
    const renewErr = await receiver.renewMessageLock(m!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(code(renewErr)).toBe('MessageLockLost');
    // The message itself is still there for the next receiver.
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(again!.deliveryCount).toBe(1);
    await receiver.completeMessage(again!);
    await receiver.close();
    await sender.close();
  });

  test('a message abandoned maxDeliveryCount times is dead-lettered with MaxDeliveryCountExceeded', async () => {
    const sender = h.client.createSender('maxdelivery');
    const receiver = h.client.createReceiver('maxdelivery');
    await sender.sendMessages({ body: 'poison' });
    for (let i = 0; i < 3; i++) {
      const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      expect(m!.deliveryCount).toBe(i);
      await receiver.abandonMessage(m!);
    }
    expect(h.emulator.stats().maxdelivery).toMatchObject({ active: 0, locked: 0, deadLettered: 1 });
    const dlq = h.client.createReceiver('maxdelivery', { subQueueType: 'deadLetter' });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(dead!.body).toBe('poison');
    expect(dead!.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead!.deliveryCount).toBe(3);
    await dlq.completeMessage(dead!);
    await dlq.close();
    await receiver.close();
    await sender.close();
  });
});

describe('$management settlement', () => {
  test('messages are settled through $management once their receive link is gone', async () => {
    const sender = h.client.createSender('mgmt');
    await sender.sendMessages([{ body: 'c' }, { body: 'a' }, { body: 'd' }]);
    const receiver = h.client.createReceiver('mgmt');
    const got = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    expect(got).toHaveLength(3);
    await receiver.close();
    // A new receiver settles messages received by the closed one: the SDK goes through $management.
    const other = h.client.createReceiver('mgmt');
    const [c, a, d] = got;
    await other.completeMessage(c!);
    await other.abandonMessage(a!, { reason: 'retry' });
    await other.deadLetterMessage(d!, {
      deadLetterReason: 'Bad',
      deadLetterErrorDescription: 'via management',
    });
    expect(h.emulator.stats().mgmt).toMatchObject({ active: 1, locked: 0, deadLettered: 1 });
    const [again] = await other.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(again!.body).toBe('a');
    expect(again!.deliveryCount).toBe(1);
    expect(again!.applicationProperties).toMatchObject({ reason: 'retry' });
    await other.completeMessage(again!);
    const dlq = h.client.createReceiver('mgmt', {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(dead!.deadLetterReason).toBe('Bad');
    expect(dead!.deadLetterErrorDescription).toBe('via management');
    await dlq.close();
    await other.close();
    await sender.close();
  });
});
