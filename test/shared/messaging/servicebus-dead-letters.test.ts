/**
 * The dead-letter adapter against the Service Bus emulator, through the real SDK: listing is a peek that
 * changes nothing; settling redrives (a copy with a new id and redriveCount + 1), removes or keeps
 * (defers) each dead letter, and a selective settle takes only what it selects.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ServiceBusDeadLetters } from '../../../shared/messaging/servicebus-dead-letters.js';
import { startHarness, testQueue, type Harness } from '../../local/servicebus/helpers.js';

let harness: Harness;
let deadLetters: ServiceBusDeadLetters;

beforeAll(async () => {
  harness = await startHarness([testQueue('invoke', { lockDuration: 'PT5S' })]);
  deadLetters = new ServiceBusDeadLetters(harness.client);
});
afterAll(() => harness.close());

/** Sends messages to invoke and dead-letters them with a reason, as a failing stage would. */
async function deadLetter(
  items: Array<{ id: string; tenantId?: string; jobId?: string; reason: string }>,
): Promise<void> {
  const sender = harness.client.createSender('invoke');
  await sender.sendMessages(
    items.map((item) => ({
      messageId: item.id,
      body: { kind: 'invoke', jobId: item.jobId },
      applicationProperties: {
        ...(item.tenantId ? { tenantId: item.tenantId } : {}),
        ...(item.jobId ? { jobId: item.jobId } : {}),
      },
    })),
  );
  await sender.close();
  const receiver = harness.client.createReceiver('invoke');
  let left = items.length;
  while (left > 0) {
    for (const message of await receiver.receiveMessages(left, { maxWaitTimeInMs: 1000 })) {
      const item = items.find((i) => i.id === message.messageId)!;
      await receiver.deadLetterMessage(message, {
        deadLetterReason: item.reason,
        deadLetterErrorDescription: `${item.reason} for ${item.id}`,
      });
      left -= 1;
    }
  }
  await receiver.close();
}

async function drain(queue: 'invoke'): Promise<string[]> {
  const receiver = harness.client.createReceiver(queue, { receiveMode: 'receiveAndDelete' });
  const ids = (await receiver.receiveMessages(100, { maxWaitTimeInMs: 500 })).map((m) => String(m.messageId));
  await receiver.close();
  return ids;
}

describe('ServiceBusDeadLetters', () => {
  test('lists dead letters page by page, peek only, with reason, job and tenant', async () => {
    await deadLetter([
      { id: 'a', tenantId: 't1', jobId: 'job-a', reason: 'MaxDeliveryCountExceeded' },
      { id: 'b', tenantId: 't2', jobId: 'job-b', reason: 'InvalidStageMessage' },
      { id: 'c', reason: 'Foreign' },
    ]);
    const first = await deadLetters.list('invoke', { limit: 2 });
    expect(first.deadLetters.map((d) => d.messageId)).toEqual(['a', 'b']);
    expect(first.deadLetters[0]).toMatchObject({
      queue: 'invoke',
      reason: 'MaxDeliveryCountExceeded',
      description: 'MaxDeliveryCountExceeded for a',
      jobId: 'job-a',
      tenantId: 't1',
      state: 'active',
      redriveCount: 0,
    });
    expect(first.next).toBeDefined();
    const second = await deadLetters.list('invoke', { limit: 2, fromSequenceNumber: first.next! });
    expect(second.deadLetters.map((d) => d.messageId)).toEqual(['c']);
    expect(second.next).toBeUndefined();
    // Listing changed nothing.
    expect((await deadLetters.list('invoke', { limit: 10 })).deadLetters).toHaveLength(3);
  });

  test('settles only what it selects: redrive sends a copy with a new id, keep defers, remove deletes', async () => {
    const counts = await deadLetters.settle('invoke', { limit: 10, select: (d) => d.tenantId === 't1' }, () =>
      Promise.resolve('redrive'),
    );
    expect(counts).toEqual({ redrive: 1, remove: 0, keep: 0 });
    const redriven = harness.client.createReceiver('invoke');
    const [copy] = await redriven.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(copy?.messageId).toBe('a:r1');
    expect(copy?.applicationProperties).toMatchObject({ jobId: 'job-a', tenantId: 't1', redriveCount: 1 });
    await redriven.completeMessage(copy!);
    await redriven.close();

    const kept = await deadLetters.settle('invoke', { limit: 10 }, (d) =>
      Promise.resolve(d.jobId ? 'remove' : 'keep'),
    );
    expect(kept).toEqual({ redrive: 0, remove: 1, keep: 1 });
    const left = await deadLetters.list('invoke', { limit: 10 });
    expect(left.deadLetters.map((d) => [d.messageId, d.state])).toEqual([['c', 'deferred']]);
    // A settle of active dead letters does not see the deferred one again.
    expect(await deadLetters.settle('invoke', { limit: 10 }, () => Promise.resolve('remove'))).toEqual({
      redrive: 0,
      remove: 0,
      keep: 0,
    });
    // An operator's settle reaches it.
    expect(
      await deadLetters.settle('invoke', { limit: 10, includeDeferred: true }, () =>
        Promise.resolve('redrive'),
      ),
    ).toEqual({ redrive: 1, remove: 0, keep: 0 });
    expect(await drain('invoke')).toEqual(['c:r1']);
    expect((await deadLetters.list('invoke', { limit: 10 })).deadLetters).toEqual([]);
  });
});
