/**
 * Service Bus received message -> the `QueueMessage` handlers see, matching what the Azure adapter
 * builds from the Functions runtime's trigger binding data and metadata.
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import type { QueueMessage } from '../../functions/definitions.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The SDK already parses a JSON data section into a value; what is left as bytes is not JSON. The
 * Functions host gives text as a string and only non-UTF-8 bytes as a Buffer, so do the same.
 */
function toBody(body: unknown): unknown {
  if (!(body instanceof Uint8Array)) return body;
  try {
    return utf8.decode(body);
  } catch {
    return Buffer.from(body);
  }
}

function toId(value: string | number | Buffer | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Buffer.isBuffer(value) ? value.toString('hex') : String(value);
}

export function fromServiceBusReceivedMessage(message: ServiceBusReceivedMessage): QueueMessage {
  const contentType = message.contentType;
  const correlationId = toId(message.correlationId);
  // A Long (64-bit): as a string it keeps every digit, as the runtime's metadata does.
  const sequenceNumber = message.sequenceNumber as { toString(): string } | undefined;
  return {
    body: toBody(message.body),
    messageId: toId(message.messageId) ?? '',
    // Previous deliveries, 0 on the first: the JS SDK's AMQP header value, and what the Azure converter
    // (functions/queue/from-service-bus-trigger.ts) derives from the runtime's 1-based metadata, so both
    // hosts agree.
    deliveryCount: message.deliveryCount ?? 0,
    applicationProperties: { ...(message.applicationProperties ?? {}) },
    ...(contentType === undefined ? {} : { contentType }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(message.enqueuedTimeUtc === undefined ? {} : { enqueuedTimeUtc: message.enqueuedTimeUtc }),
    ...(sequenceNumber === undefined ? {} : { sequenceNumber: sequenceNumber.toString() }),
  };
}

/** The runtime's trigger metadata for the same message (camelCase keys, dates as ISO strings). */
export function toTriggerMetadata(message: QueueMessage): Record<string, unknown> {
  return {
    messageId: message.messageId,
    // The runtime reports .NET's DeliveryCount, which counts this delivery too (1 on the first).
    deliveryCount: message.deliveryCount + 1,
    applicationProperties: message.applicationProperties,
    contentType: message.contentType,
    correlationId: message.correlationId,
    enqueuedTimeUtc: message.enqueuedTimeUtc?.toISOString(),
    sequenceNumber: message.sequenceNumber,
  };
}
