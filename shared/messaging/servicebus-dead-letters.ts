/**
 * DeadLetterQueues over the Service Bus SDK: peek for listing, peek-lock receives for settling.
 * While a selective settle scans, the dead letters it does not want stay locked until the scan ends
 * (then they are abandoned): Service Bus hands out the next unlocked messages, so a scan is not stuck
 * on the ones it skips at the head of the sub-queue.
 */
import Long from 'long';
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { DeadLetter, DeadLetterAction, DeadLetterPage, DeadLetterQueues } from './dead-letters.js';
import type { QueueName } from './publisher.js';

const RECEIVE_BATCH = 50;
const RECEIVE_WAIT_MS = 500;
/**
 * Messages one selective settle may hold locked while it looks for what it selects: beyond this it stops,
 * so a large sub-queue of unselected dead letters costs bounded memory and time (the next call goes on).
 */
const MAX_SKIPPED = 2_000;

export class ServiceBusDeadLetters implements DeadLetterQueues {
  constructor(private readonly client: ServiceBusClient) {}

  async list(
    queue: QueueName,
    options: { fromSequenceNumber?: string; limit: number },
  ): Promise<DeadLetterPage> {
    const receiver = this.receiver(queue);
    try {
      // Always from a sequence number: without one the SDK continues from the last peek of any receiver
      // of this entity on the connection (its management client keeps that cursor).
      const peeked = await receiver.peekMessages(options.limit + 1, {
        fromSequenceNumber: Long.fromString(options.fromSequenceNumber ?? '0'),
      });
      const page = peeked.slice(0, options.limit).map((m) => viewOf(queue, m));
      const following = peeked[options.limit];
      return { deadLetters: page, ...(following ? { next: sequenceOf(following) } : {}) };
    } finally {
      await receiver.close();
    }
  }

  async settle(
    queue: QueueName,
    options: {
      readonly limit: number;
      readonly includeDeferred?: boolean;
      readonly select?: (deadLetter: DeadLetter) => boolean;
    },
    decide: (deadLetter: DeadLetter, body: unknown) => Promise<DeadLetterAction>,
  ): Promise<Record<DeadLetterAction, number>> {
    const counts: Record<DeadLetterAction, number> = { redrive: 0, remove: 0, keep: 0 };
    const startedAt = Date.now();
    const receiver = this.receiver(queue);
    const skipped: ServiceBusReceivedMessage[] = [];
    const act = async (message: ServiceBusReceivedMessage): Promise<void> => {
      const view = viewOf(queue, message);
      const action = await decide(view, message.body);
      if (action === 'redrive') await this.redrive(queue, message, view.redriveCount + 1);
      if (action === 'keep') {
        if (view.state !== 'deferred') await receiver.deferMessage(message);
        else await receiver.abandonMessage(message);
      } else {
        await receiver.completeMessage(message);
      }
      counts[action] += 1;
    };
    try {
      let taken = 0;
      if (options.includeDeferred) {
        for (const sequence of await this.deferredSequences(receiver, queue, options.select)) {
          if (taken >= options.limit) break;
          const [message] = await receiver.receiveDeferredMessages(Long.fromString(sequence));
          if (!message) continue;
          taken += 1;
          await act(message);
        }
      }
      while (taken < options.limit && skipped.length < MAX_SKIPPED) {
        const batch = await receiver.receiveMessages(Math.min(RECEIVE_BATCH, options.limit - taken), {
          maxWaitTimeInMs: RECEIVE_WAIT_MS,
        });
        if (batch.length === 0) break;
        for (const message of batch) {
          if (
            taken >= options.limit ||
            sentDuringThisCall(message, startedAt) ||
            (options.select && !options.select(viewOf(queue, message)))
          ) {
            skipped.push(message);
            continue;
          }
          taken += 1;
          await act(message);
        }
      }
    } finally {
      for (const message of skipped) await receiver.abandonMessage(message).catch(() => undefined);
      await receiver.close();
    }
    return counts;
  }

  private receiver(queue: QueueName): ServiceBusReceiver {
    return this.client.createReceiver(queue, { subQueueType: 'deadLetter', receiveMode: 'peekLock' });
  }

  private async redrive(
    queue: QueueName,
    message: ServiceBusReceivedMessage,
    redriveCount: number,
  ): Promise<void> {
    const sender = this.client.createSender(queue);
    try {
      await sender.sendMessages({
        body: message.body as unknown,
        // Deterministic: a redrive repeated after a failed settlement is a duplicate the queue drops.
        messageId: `${String(message.messageId)}:r${redriveCount}`,
        applicationProperties: { ...message.applicationProperties, redriveCount },
        ...(message.contentType ? { contentType: message.contentType } : {}),
        ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
        ...(message.subject ? { subject: message.subject } : {}),
      });
    } finally {
      await sender.close();
    }
  }

  /** Deferred dead letters are only reachable by sequence number, found by a peek over the sub-queue. */
  private async deferredSequences(
    receiver: ServiceBusReceiver,
    queue: QueueName,
    select: ((deadLetter: DeadLetter) => boolean) | undefined,
  ): Promise<string[]> {
    const found: string[] = [];
    let from = Long.ZERO;
    for (;;) {
      const page = await receiver.peekMessages(RECEIVE_BATCH, { fromSequenceNumber: from });
      if (page.length === 0) return found;
      for (const message of page) {
        const view = viewOf(queue, message);
        if (view.state === 'deferred' && (!select || select(view))) found.push(view.sequenceNumber);
      }
      from = Long.fromString(sequenceOf(page[page.length - 1]!)).add(1);
    }
  }
}

/**
 * A copy this call redrove can be dead-lettered again before the call ends (an intake message without a
 * tenant is, at once): taking it again would redrive it round and round. Its enqueued time is its
 * redrive's, so anything enqueued after the call began is left for the next call.
 */
function sentDuringThisCall(message: ServiceBusReceivedMessage, startedAt: number): boolean {
  return message.enqueuedTimeUtc !== undefined && message.enqueuedTimeUtc.getTime() >= startedAt;
}

function sequenceOf(message: ServiceBusReceivedMessage): string {
  return message.sequenceNumber?.toString() ?? '0';
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function viewOf(queue: QueueName, message: ServiceBusReceivedMessage): DeadLetter {
  const properties = message.applicationProperties ?? {};
  const redriveCount = Number(properties.redriveCount ?? 0);
  const jobId = text(properties.jobId);
  const tenantId = text(properties.tenantId);
  const reason = text(message.deadLetterReason);
  const description = text(message.deadLetterErrorDescription);
  return {
    queue,
    sequenceNumber: sequenceOf(message),
    messageId: String(message.messageId ?? ''),
    ...(reason ? { reason } : {}),
    ...(description ? { description } : {}),
    ...(jobId ? { jobId } : {}),
    ...(tenantId ? { tenantId } : {}),
    ...(message.enqueuedTimeUtc ? { enqueuedAt: message.enqueuedTimeUtc.toISOString() } : {}),
    deliveryCount: message.deliveryCount ?? 0,
    state: message.state === 'deferred' ? 'deferred' : 'active',
    redriveCount: Number.isFinite(redriveCount) ? redriveCount : 0,
  };
}
