/**
 * BulkSender over @azure/service-bus: the messages of a queue go in `createMessageBatch` batches, as many
 * per send as the link's maximum message size allows (one AMQP transfer each), instead of one send per
 * message. Bodies over the claim-check threshold are checked in first, as the stage publisher does.
 */
import type { ServiceBusClient, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';
import { checkIn, type PayloadStore } from '../messaging/claim-check.js';
import type { OutboundMessage, QueueName } from '../messaging/publisher.js';
import { toServiceBusMessage } from '../messaging/servicebus-publisher.js';
import type { BulkSender } from './ports.js';
import { closeWithin } from '../messaging/bounded-close.js';

export class ServiceBusBulkSender implements BulkSender {
  private readonly senders = new Map<QueueName, ServiceBusSender>();

  constructor(
    private readonly client: ServiceBusClient,
    private readonly payloads: PayloadStore,
    private readonly claimCheckThresholdBytes: number,
  ) {}

  async sendAll(messages: readonly OutboundMessage[]): Promise<void> {
    const byQueue = new Map<QueueName, OutboundMessage[]>();
    for (const message of messages) {
      const list = byQueue.get(message.queue) ?? [];
      list.push(message);
      byQueue.set(message.queue, list);
    }
    for (const [queue, list] of byQueue) await this.sendQueue(this.sender(queue), list);
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    // Bounded: a sender on a dropped connection would hold its host's shutdown for the try timeout.
    await Promise.all(senders.map((sender) => closeWithin(sender.close())));
  }

  private async sendQueue(sender: ServiceBusSender, messages: readonly OutboundMessage[]): Promise<void> {
    let batch: ServiceBusMessageBatch = await sender.createMessageBatch();
    for (const message of messages) {
      const body = await checkIn(
        this.payloads,
        message.messageId,
        message.body,
        this.claimCheckThresholdBytes,
      );
      const encoded = toServiceBusMessage(message, body);
      if (batch.tryAddMessage(encoded)) continue;
      if (batch.count === 0) throw new Error(`message ${message.messageId} is larger than a batch`);
      await sender.sendMessages(batch);
      batch = await sender.createMessageBatch();
      if (!batch.tryAddMessage(encoded))
        throw new Error(`message ${message.messageId} is larger than a batch`);
    }
    if (batch.count > 0) await sender.sendMessages(batch);
  }

  private sender(queue: QueueName): ServiceBusSender {
    let sender = this.senders.get(queue);
    if (!sender) {
      sender = this.client.createSender(queue);
      this.senders.set(queue, sender);
    }
    return sender;
  }
}
