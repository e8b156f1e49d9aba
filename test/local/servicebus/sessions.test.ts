// Conformance: sessions through the SDK's session receivers.
import { ServiceBusClient, isServiceBusError } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep, startHarness, testQueue, type Harness } from './helpers.js';

let h: Harness;
/** acceptNextSession waits as long as the client's operation timeout; keep it short for the timeout test. */
let quick: ServiceBusClient;

beforeAll(async () => {
  h = await startHarness([
    testQueue('orders', { requiresSession: true, lockDuration: 'PT30S' }),
    testQueue('waiting', { requiresSession: true, lockDuration: 'PT30S' }),
    testQueue('state', { requiresSession: true, lockDuration: 'PT30S' }),
    testQueue('shortlock', { requiresSession: true, lockDuration: 'PT0.6S' }),
  ]);
  quick = new ServiceBusClient(h.emulator.connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 1500 },
  });
});
afterAll(async () => {
  await quick.close();
  await h.close();
});

async function failure(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (err) {
    return isServiceBusError(err) ? err.code : String(err);
  }
  throw new Error('expected a failure');
}

describe('sessions', () => {
  test('acceptSession receives only its session, in order; a locked session cannot be accepted twice', async () => {
    const sender = h.client.createSender('orders');
    await sender.sendMessages([
      { body: 'a1', sessionId: 'A' },
      { body: 'b1', sessionId: 'B' },
      { body: 'a2', sessionId: 'A' },
      { body: 'b2', sessionId: 'B' },
      { body: 'a3', sessionId: 'A' },
    ]);
    const a = await h.client.acceptSession('orders', 'A');
    expect(a.sessionId).toBe('A');
    expect(a.sessionLockedUntilUtc.getTime()).toBeGreaterThan(Date.now());
    const got = await a.receiveMessages(10, { maxWaitTimeInMs: 1000 });
    expect(got.map((m) => m.body as unknown)).toEqual(['a1', 'a2', 'a3']);
    expect(got.every((m) => m.sessionId === 'A')).toBe(true);
    for (const m of got) await a.completeMessage(m);

    expect(await failure(() => quick.acceptSession('orders', 'A'))).toBe('SessionCannotBeLocked');

    const next = await h.client.acceptNextSession('orders');
    expect(next.sessionId).toBe('B');
    const b = await next.receiveMessages(10, { maxWaitTimeInMs: 1000 });
    expect(b.map((m) => m.body as unknown)).toEqual(['b1', 'b2']);
    for (const m of b) await next.completeMessage(m);
    await next.close();
    await a.close();
    expect(h.emulator.stats().orders).toMatchObject({ active: 0, locked: 0 });
  });

  test('acceptNextSession waits for a session to become available, and times out with ServiceTimeout', async () => {
    const started = Date.now();
    expect(await failure(() => quick.acceptNextSession('waiting'))).toBe('ServiceTimeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    const sender = h.client.createSender('waiting');
    const waitStart = Date.now();
    const pending = h.client.acceptNextSession('waiting');
    await sleep(300);
    await sender.sendMessages({ body: 'hello', sessionId: 'late' });
    const receiver = await pending;
    expect(receiver.sessionId).toBe('late');
    expect(Date.now() - waitStart).toBeGreaterThanOrEqual(250);
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(m!.body).toBe('hello');
    await receiver.completeMessage(m!);
    await receiver.close();
    await sender.close();
  });

  test('session state is kept with the session across receivers', async () => {
    const first = await h.client.acceptSession('state', 'S1');
    expect(await first.getSessionState()).toBeNull();
    await first.setSessionState({ step: 2, seen: ['a'] });
    expect(await first.getSessionState()).toEqual({ step: 2, seen: ['a'] });
    await first.close();
    const second = await h.client.acceptSession('state', 'S1');
    expect(await second.getSessionState()).toEqual({ step: 2, seen: ['a'] });
    await second.setSessionState(null);
    expect(await second.getSessionState()).toBeNull();
    await second.close();
  });

  test('renewSessionLock keeps the session past its lock duration', async () => {
    const sender = h.client.createSender('shortlock');
    await sender.sendMessages({ body: 'r', sessionId: 'renewed' });
    const receiver = await h.client.acceptSession('shortlock', 'renewed', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    for (let i = 0; i < 3; i++) {
      await sleep(300);
      const until = await receiver.renewSessionLock();
      expect(until.getTime()).toBeGreaterThan(Date.now());
    }
    await receiver.completeMessage(m!);
    expect(h.emulator.stats().shortlock).toMatchObject({ active: 0, locked: 0 });
    await receiver.close();
    await sender.close();
  });

  test('an expired session lock loses the session: settling fails and the message returns with delivery count + 1', async () => {
    const sender = h.client.createSender('shortlock');
    await sender.sendMessages({ body: 'e', sessionId: 'expiring' });
    const receiver = await h.client.acceptSession('shortlock', 'expiring', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(m!.deliveryCount).toBe(0);
    await sleep(1200);
    const code = await failure(() => receiver.completeMessage(m!));
    expect(code).toBe('SessionLockLost');
    await receiver.close();
    const again = await h.client.acceptSession('shortlock', 'expiring');
    const [m2] = await again.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(m2!.body).toBe('e');
    expect(m2!.deliveryCount).toBe(1);
    await again.completeMessage(m2!);
    await again.close();
    await sender.close();
  });

  test('closing a session receiver releases the session and its unsettled messages', async () => {
    const sender = h.client.createSender('orders');
    await sender.sendMessages([
      { body: 'c1', sessionId: 'C' },
      { body: 'c2', sessionId: 'C' },
    ]);
    const first = await h.client.acceptSession('orders', 'C');
    const got = await first.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    expect(got).toHaveLength(2);
    await first.close();
    const second = await h.client.acceptNextSession('orders');
    expect(second.sessionId).toBe('C');
    const again = await second.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    expect(again.map((m) => m.body as unknown)).toEqual(['c1', 'c2']);
    for (const m of again) await second.completeMessage(m);
    await second.close();
    await sender.close();
  });
});
