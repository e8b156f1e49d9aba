/**
 * MessagePublisher over @azure/service-bus. Senders are created lazily per queue and reused: creating a
 * link per message would cost an attach and a CBS token round trip each time.
 *
 * Each send is bounded: a send in flight when its connection drops waits for an acknowledgement that
 * never comes, for the client's whole try timeout (30 s), and then again per retry: the SDK does not
 * fail sends pending on a connection that is gone (the chaos suite saw a submission answered after
 * 30.7 s; cutting connections every 0.4 s, submissions were answered 500 after 94-122 s). So a try that
 * has not been acknowledged in TRY_MS is abandoned and made once more, by then on the reconnected link;
 * duplicate detection drops the copy if the first one did arrive. Still unacknowledged, or refused for a
 * transient reason, the send fails as RetryAfterError: a 503 with Retry-After on the HTTP path, an
 * abandoned (redelivered) message in a stage.
 */
import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { RetryAfterError } from '../errors/index.js';
import { SpanKind, formatTraceparentOf, inSpan, type Span } from '../telemetry/tracing.js';
import { checkIn, type PayloadStore } from './claim-check.js';
import type { MessagePublisher, OutboundMessage, QueueName } from './publisher.js';
import { closeWithin } from './bounded-close.js';

export function toServiceBusMessage(message: OutboundMessage, body: unknown): ServiceBusMessage {
  return {
    body,
    messageId: message.messageId,
    contentType: 'application/json',
    applicationProperties: { ...message.applicationProperties },
    ...(message.correlationId ? { correlationId: message.correlationId } : {}),
  };
}

/** How long one try of a send may wait for its acknowledgement (sends take milliseconds when healthy). */
const TRY_MS = 4_000;
const TRIES = 2;
/** What a caller is told to wait: about as long as the client takes to reconnect and re-attach. */
const RETRY_AFTER_MS = 2_000;

export class ServiceBusPublisher implements MessagePublisher {
  private readonly senders = new Map<QueueName, ServiceBusSender>();

  constructor(
    private readonly client: ServiceBusClient,
    private readonly payloads: PayloadStore,
    private readonly claimCheckThresholdBytes: number,
  ) {}

  send(message: OutboundMessage): Promise<void> {
    return inSpan(`send ${message.queue}`, producerSpan(message, 'send'), async (span) => {
      const encoded = await this.encode(message, span);
      await bounded(message, (abortSignal) =>
        this.sender(message.queue).sendMessages(encoded, { abortSignal }),
      );
    });
  }

  schedule(message: OutboundMessage, at: Date): Promise<void> {
    return inSpan(`schedule ${message.queue}`, producerSpan(message, 'schedule'), async (span) => {
      const encoded = await this.encode(message, span);
      await bounded(message, async (abortSignal) => {
        await this.sender(message.queue).scheduleMessages(encoded, at, { abortSignal });
      });
    });
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    // Bounded: a sender on a dropped connection would hold its host's shutdown for the try timeout.
    await Promise.all(senders.map((sender) => closeWithin(sender.close())));
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

/** Up to TRIES tries of TRY_MS each; transient failures end as RetryAfterError. */
async function bounded(
  message: OutboundMessage,
  operation: (abortSignal: AbortSignal) => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await operation(AbortSignal.timeout(TRY_MS));
      return;
    } catch (error) {
      if (!isTransientSendError(error)) throw error;
      if (attempt >= TRIES) {
        throw new RetryAfterError(
          `Service Bus did not take the ${message.queue} message in time; retry shortly.`,
          RETRY_AFTER_MS,
          'servicebus_unavailable',
          { cause: error },
        );
      }
    }
  }
}

/** Socket errors the SDK passes on as they are (not marked retryable) when a connection drops mid-send. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);
/** The same, when the SDK wrapped the socket's error in one of its own and kept only its text. */
const CONNECTION_LOST_TEXT = /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTCONN)\b/;
/** core-amqp's codes for a connection that went away, not all of them marked retryable. */
const CONNECTION_CODES = new Set([
  'ServiceCommunicationError',
  'ConnectionForcedError',
  'ConnectionLostError',
]);

/** Our own bound, a dropped connection, or an SDK error marked worth retrying (busy, timeout). */
export function isTransientSendError(error: unknown): boolean {
  const { name, retryable, code, message } = (error ?? {}) as {
    name?: unknown;
    retryable?: unknown;
    code?: unknown;
    message?: unknown;
  };
  return (
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    retryable === true ||
    (typeof code === 'string' && (CONNECTION_LOST.has(code) || CONNECTION_CODES.has(code))) ||
    (typeof message === 'string' && CONNECTION_LOST_TEXT.test(message))
  );
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
