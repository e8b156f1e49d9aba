/**
 * Messages coming in from client senders. Every transfer reaches us as raw bytes: we mark each
 * delivery's format non-zero before rhea decodes it, so a message keeps its original encoding (values
 * and AMQP types the broker never touches stay byte for byte as the client sent them). A batch
 * (`createMessageBatch`) arrives as one transfer in the Service Bus batch format and is split here.
 * A transfer is all or nothing: if any message in it is refused, none is enqueued.
 */
import type { Delivery, EventContext, Session } from 'rhea';
import { AmqpFormatError, batchPayloads } from './amqp-bytes.js';
import type { Entity } from './entity.js';
import { messageUtil } from './rhea.js';
import { parseMessage } from './stored-message.js';

const BATCH_FORMAT = 0x80013700;
/** Marks a single message so rhea hands us its bytes instead of decoding it. */
const RAW_SINGLE_FORMAT = -1;

/** Makes rhea hand over every incoming message on this session as bytes (it decodes only format 0). */
export function receiveRawTransfers(session: Session): void {
  const s = session as unknown as {
    on_transfer(frame: { performative: { message_format?: number } }): void;
  };
  const original = s.on_transfer.bind(s);
  s.on_transfer = (frame) => {
    if (!frame.performative.message_format) frame.performative.message_format = RAW_SINGLE_FORMAT;
    original(frame);
  };
}

/** Enqueues a client's transfer on the entity, or rejects it with the condition Service Bus uses. */
export function acceptTransfer(ctx: EventContext, entity: Entity): void {
  const delivery = ctx.delivery as Delivery;
  const bytes = ctx.message as unknown as Buffer;
  const format = (ctx as { format?: number }).format;
  const reject = (condition: string, description: string): void =>
    delivery.update(true, messageUtil.rejected({ error: { condition, description } }).described());
  if (bytes.length > entity.settings.maxMessageSizeBytes) {
    return reject(
      'amqp:link:message-size-exceeded',
      `The received message (delivery-id:${delivery.id}, size:${bytes.length} bytes) exceeds the limit (${entity.settings.maxMessageSizeBytes} bytes) currently allowed on the link.`,
    );
  }
  let parsed;
  try {
    const payloads = format === BATCH_FORMAT ? batchPayloads(bytes) : [bytes];
    parsed = payloads.map(parseMessage);
  } catch (err) {
    if (!(err instanceof AmqpFormatError) && !(err instanceof Error)) throw err;
    return reject('amqp:decode-error', `Cannot decode the message: ${err.message}`);
  }
  for (const p of parsed) {
    const refusal = entity.refusal(p.message);
    if (refusal) return reject('amqp:not-allowed', refusal);
  }
  for (const p of parsed) entity.enqueue(p.message, p.scheduledAt);
  delivery.update(true, messageUtil.accepted().described());
}
