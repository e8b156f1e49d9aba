/**
 * MessagePublisher over @azure/service-bus. Senders are created lazily per queue and reused: creating a
 * link per message would cost an attach and a CBS token round trip each time.
 */
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { SpanKind, formatTraceparentOf, inSpan, type Span } from '../telemetry/tracing.js';
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

  send(message: OutboundMessage): Promise<void> {
    return inSpan(`send ${message.queue}`, producerSpan(message, 'send'), async (span) => {
      await this.sender(message.queue).sendMessages(await this.encode(message, span));
    });
  }

  schedule(message: OutboundMessage, at: Date): Promise<void> {
    return inSpan(`schedule ${message.queue}`, producerSpan(message, 'schedule'), async (span) => {
      await this.sender(message.queue).scheduleMessages(await this.encode(message, span), at);
    });
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    await Promise.allSettled(senders.map((sender) => sender.close()));
  }

  private async encode(message: OutboundMessage, span: Span): Promise<ServiceBusMessage> {
    const body = await checkIn(this.payloads, message.messageId, message.body, this.claimCheckThresholdBytes);
    // With an SDK recording, the next stage's span goes under this send span rather than an id that
    // names no span; without one the stage's own traceparent travels unchanged.
    const traceparent = span.isRecording() ? formatTraceparentOf(span) : undefined;
    return toServiceBusMessage(
      traceparent
        ? { ...message, applicationProperties: { ...message.applicationProperties, traceparent } }
        : message,
      body,
    );
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

function producerSpan(message: OutboundMessage, operation: 'send' | 'schedule') {
  return {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'servicebus',
      'messaging.operation.type': operation === 'send' ? 'send' : 'create',
      'messaging.operation.name': operation,
      'messaging.destination.name': message.queue,
      'messaging.message.id': message.messageId,
    },
  };
}
