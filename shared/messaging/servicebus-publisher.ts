/**
 * MessagePublisher over @azure/service-bus. Senders are created lazily per queue and reused: creating a
 * link per message would cost an attach and a CBS token round trip each time.
 */
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { checkIn, type PayloadStore } from './claim-check.js';
import type { MessagePublisher, OutboundMessage, QueueName } from './publisher.js';

export function toServiceBusMessage(message: OutboundMessage, body: unknown): ServiceBusMessage {
  return {
    body,
    messageId: message.messageId,
    contentType: 'application/json',
    applicationProperties: { ...message.applicationProperties },
    ...(message.correlationId ? { correlationId: message.correlationId } : {}),
  };
}

export class ServiceBusPublisher implements MessagePublisher {
  private readonly senders = new Map<QueueName, ServiceBusSender>();

  constructor(
    private readonly client: ServiceBusClient,
    private readonly payloads: PayloadStore,
    private readonly claimCheckThresholdBytes: number,
  ) {}

  async send(message: OutboundMessage): Promise<void> {
    await this.sender(message.queue).sendMessages(await this.encode(message));
  }

  async schedule(message: OutboundMessage, at: Date): Promise<void> {
    await this.sender(message.queue).scheduleMessages(await this.encode(message), at);
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    await Promise.allSettled(senders.map((sender) => sender.close()));
  }

  private async encode(message: OutboundMessage): Promise<ServiceBusMessage> {
    const body = await checkIn(this.payloads, message.messageId, message.body, this.claimCheckThresholdBytes);
    return toServiceBusMessage(message, body);
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
