// Conformance: the errors the SDK reports for a wrong key, an unknown queue and an oversized message.
import { ServiceBusClient, isServiceBusError } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, testQueue, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness([
    testQueue('small', { maxMessageSizeInKilobytes: 4 }),
    testQueue('sessions', { requiresSession: true }),
  ]);
});
afterAll(async () => {
  await h.close();
});

async function failure(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (err) {
    return { code: isServiceBusError(err) ? err.code : undefined, message: String((err as Error).message) };
  }
  throw new Error('expected a failure');
}

describe('errors', () => {
  test('a wrong key is refused with UnauthorizedAccess', async () => {
    const wrong = h.emulator.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=not-the-key');
    const client = new ServiceBusClient(wrong, { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } });
    try {
      const err = await failure(() => client.createSender('small').sendMessages({ body: 1 }));
      expect(err.code).toBe('UnauthorizedAccess');
      const err2 = await failure(() =>
        client.createReceiver('small').receiveMessages(1, { maxWaitTimeInMs: 200 }),
      );
      expect(err2.code).toBe('UnauthorizedAccess');
    } finally {
      await client.close();
    }
    expect(h.emulator.stats().small!.active).toBe(0);
  });

  test('a wrong key name is refused with UnauthorizedAccess', async () => {
    const wrong = h.emulator.connectionString.replace(
      /SharedAccessKeyName=[^;]+/,
      'SharedAccessKeyName=Other',
    );
    const client = new ServiceBusClient(wrong, { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } });
    try {
      const err = await failure(() => client.createSender('small').sendMessages({ body: 1 }));
      expect(err.code).toBe('UnauthorizedAccess');
    } finally {
      await client.close();
    }
  });

  test('an unknown queue gives MessagingEntityNotFound for senders and receivers', async () => {
    const err = await failure(() => h.client.createSender('no-such-queue').sendMessages({ body: 1 }));
    expect(err.code).toBe('MessagingEntityNotFound');
    expect(err.message).toContain('no-such-queue');
    const err2 = await failure(() =>
      h.client.createReceiver('no-such-queue').receiveMessages(1, { maxWaitTimeInMs: 200 }),
    );
    expect(err2.code).toBe('MessagingEntityNotFound');
  });

  test('a message over the queue maximum is refused with MessageSizeExceeded; smaller ones still go through', async () => {
    const sender = h.client.createSender('small');
    const err = await failure(() => sender.sendMessages({ body: Buffer.alloc(8 * 1024, 1) }));
    expect(err.code).toBe('MessageSizeExceeded');
    // A batch is sized from the link's max_message_size, so the SDK refuses it before sending.
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(4 * 1024);
    expect(batch.tryAddMessage({ body: Buffer.alloc(8 * 1024, 1) })).toBe(false);
    await sender.sendMessages({ body: Buffer.alloc(1024, 2) });
    expect(h.emulator.stats().small!.active).toBe(1);
    await sender.close();
  });

  test('a message without a session id is refused by a session queue', async () => {
    const sender = h.client.createSender('sessions');
    const err = await failure(() => sender.sendMessages({ body: 1 }));
    expect(err.message).toContain('SessionId');
    await sender.sendMessages({ body: 1, sessionId: 's' });
    expect(h.emulator.stats().sessions!.active).toBe(1);
    await sender.close();
  });
});
