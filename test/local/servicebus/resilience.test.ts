// Conformance: connection loss, receive-and-delete, and the statistics endpoint.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startHarness, testQueue, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(
    [
      testQueue('flaky', { lockDuration: 'PT0.8S' }),
      testQueue('rad', { lockDuration: 'PT30S' }),
      testQueue('stats'),
    ],
    0,
  );
});
afterAll(async () => {
  await h.close();
});

/** A TCP proxy in front of the emulator, so a test can cut the client's connection like a network failure. */
async function startProxy(
  targetPort: number,
): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connection loss', () => {
  test('locked messages come back after lock expiry and the SDK reconnects and goes on receiving', async () => {
    const proxy = await startProxy(h.emulator.port);
    const viaProxy = h.emulator.connectionString.replace(`:${h.emulator.port};`, `:${proxy.port};`);
    const client = new ServiceBusClient(viaProxy, {
      retryOptions: { maxRetries: 10, retryDelayInMs: 100, timeoutInMs: 5000 },
    });
    const seen: Array<{ body: unknown; deliveryCount: number }> = [];
    let cut = false;
    const receiver = client.createReceiver('flaky', { maxAutoLockRenewalDurationInMs: 0 });
    const sub = receiver.subscribe(
      {
        processMessage: async (m: ServiceBusReceivedMessage) => {
          seen.push({ body: m.body, deliveryCount: m.deliveryCount ?? -1 });
          if (m.body === 'first' && !cut) {
            cut = true;
            proxy.cut(); // the handler "crashes" with the connection: no settlement
            return;
          }
          await receiver.completeMessage(m);
        },
        processError: async () => {},
      },
      { autoCompleteMessages: false, maxConcurrentCalls: 1 },
    );
    const sender = h.client.createSender('flaky');
    await sender.sendMessages({ body: 'first' });
    await eventually(() => cut, 5000);
    expect(h.emulator.stats().flaky!.locked).toBe(1);
    await sender.sendMessages({ body: 'second' });
    await eventually(
      () =>
        seen.some((s) => s.body === 'first' && s.deliveryCount === 1) &&
        seen.some((s) => s.body === 'second'),
      15_000,
    );
    await eventually(
      () => h.emulator.stats().flaky!.locked === 0 && h.emulator.stats().flaky!.active === 0,
      5000,
    );
    await sub.close();
    await receiver.close();
    await client.close();
    await proxy.close();
    await sender.close();
  });
});

describe('receive and delete', () => {
  test('messages are removed on delivery and carry no lock', async () => {
    const sender = h.client.createSender('rad');
    await sender.sendMessages([{ body: 1 }, { body: 2 }, { body: 3 }]);
    const receiver = h.client.createReceiver('rad', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    expect(got.map((m) => m.body as unknown)).toEqual([1, 2, 3]);
    expect(h.emulator.stats().rad).toMatchObject({ active: 0, locked: 0 });
    expect(got[0]!.lockedUntilUtc).toBeUndefined();
    await receiver.close();
    await sender.close();
  });
});

describe('statistics', () => {
  test('stats() and GET /stats report per-queue counts', async () => {
    const sender = h.client.createSender('stats');
    const at = new Date(Date.now() + 60_000);
    await sender.sendMessages([{ body: 'a' }, { body: 'b' }, { body: 'c' }, { body: 'd' }]);
    await sender.scheduleMessages({ body: 'later' }, at);
    const receiver = h.client.createReceiver('stats');
    const [m1, m2, m3] = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2000 });
    await receiver.deferMessage(m1!);
    await receiver.deadLetterMessage(m2!, { deadLetterReason: 'x', deadLetterErrorDescription: 'y' });
    const expected = { active: 1, scheduled: 1, deferred: 1, locked: 1, deadLettered: 1 };
    expect(h.emulator.stats().stats).toEqual(expected);
    expect(h.emulator.statsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stats$/);
    const res = await fetch(h.emulator.statsUrl!);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.stats).toEqual(expected);
    expect(Object.keys(body).sort()).toEqual(['flaky', 'rad', 'stats']);
    await receiver.completeMessage(m3!);
    await receiver.close();
    await sender.close();
  });
});
