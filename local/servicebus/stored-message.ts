/**
 * A message as the broker stores it: the original encoded sections, split so that delivery can
 * rewrite the header and message annotations (and, for dead-lettering or abandon with
 * propertiesToModify, the application properties) while every other byte stays as the sender wrote it.
 */
import { randomUUID } from 'node:crypto';
import {
  AmqpFormatError,
  EMPTY_MAP,
  SECTION,
  encodeMapSection,
  encodeRawList,
  mapEntries,
  readRawList,
  readRawMap,
  readString,
  readTimestamp,
  spliceMap,
  splitSections,
  str,
  sym,
  type RawMap,
} from './amqp-bytes.js';
import type { Lock } from './entity.js';
import { encodeTyped, messageUtil, types, type Typed } from './rhea.js';

export interface HeaderFields {
  durable?: boolean;
  priority?: number;
  ttl?: number;
  first_acquirer?: boolean;
}

export type MessageState = 'active' | 'locked' | 'deferred' | 'scheduled' | 'gone';

/** Annotations the broker owns: stripped from what clients send, set on every delivery. */
const BROKER_ANNOTATIONS = new Set([
  'x-opt-sequence-number',
  'x-opt-enqueued-time',
  'x-opt-locked-until',
  'x-opt-message-state',
  'x-opt-deadletter-source',
  'x-opt-enqueue-sequence-number',
  'x-opt-lock-token',
]);

export const SCHEDULED_ENQUEUE_TIME = 'x-opt-scheduled-enqueue-time';

export class StoredMessage {
  seq = 0;
  enqueuedAt = 0;
  expiresAt = Infinity;
  deliveryCount = 0;
  state: MessageState = 'active';
  scheduledAt: number | undefined;
  /** Set while a peek-lock receiver holds the message. */
  lock: Lock | undefined;

  constructor(
    readonly header: HeaderFields,
    public ma: RawMap,
    readonly props: Buffer,
    public app: RawMap,
    readonly tail: Buffer,
    readonly messageId: string | undefined,
    readonly sessionId: string | undefined,
    readonly size: number,
  ) {}

  /** Copy for the dead-letter sub-queue, with DeadLetterReason/-ErrorDescription and any extra properties set. */
  toDeadLetter(
    reason: string | undefined,
    description: string | undefined,
    extra?: Record<string, unknown>,
  ): StoredMessage {
    const props: Record<string, unknown> = { ...extra };
    if (reason !== undefined) props.DeadLetterReason = reason;
    if (description !== undefined) props.DeadLetterErrorDescription = description;
    const copy = new StoredMessage(
      this.header,
      this.ma,
      this.props,
      withProperties(this.app, props),
      this.tail,
      this.messageId,
      this.sessionId,
      this.size,
    );
    copy.seq = this.seq;
    copy.enqueuedAt = this.enqueuedAt;
    copy.deliveryCount = this.deliveryCount;
    return copy;
  }

  /** Applies `propertiesToModify` (abandon/defer/dead-letter) to the application properties. */
  modifyProperties(props: Record<string, unknown> | undefined): void {
    if (props && Object.keys(props).length > 0) this.app = withProperties(this.app, props);
  }
}

function withProperties(app: RawMap, props: Record<string, unknown>): RawMap {
  const keys = Object.keys(props).filter((k) => props[k] !== undefined);
  if (keys.length === 0) return app;
  return spliceMap(
    app,
    new Set(keys),
    keys.map((k) => [str(k), types.wrap(props[k])] as [Typed, Typed]),
  );
}

export interface ParseOptions {
  now: number;
}

export interface ParsedMessage {
  message: StoredMessage;
  /** From the x-opt-scheduled-enqueue-time annotation, when the sender set one. */
  scheduledAt: number | undefined;
}

function stringId(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (Buffer.isBuffer(id)) return id.toString('hex');
  if (typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint') return String(id);
  return JSON.stringify(id);
}

const PROPERTIES_PREFIX = Buffer.from([0x00, 0x53, SECTION.properties]);

/**
 * Splits one encoded message. When it has no message-id the broker assigns one (the SDK's lock renewal
 * needs it), rewriting only the first field of the properties list.
 */
export function parseMessage(bytes: Buffer): ParsedMessage {
  // Copy so a stored message never pins the larger socket buffer it arrived in.
  const buf = Buffer.from(bytes);
  let header: HeaderFields = {};
  let ma: RawMap = EMPTY_MAP;
  let props = Buffer.alloc(0);
  let app: RawMap = EMPTY_MAP;
  let tailStart = -1;
  let tailEnd = buf.length;
  let scheduledAt: number | undefined;
  let messageId: string | undefined;
  let sessionId: string | undefined;
  let hasBody = false;
  for (const s of splitSections(buf)) {
    switch (s.code) {
      case SECTION.header: {
        const h = messageUtil.decode(buf.subarray(s.start, s.end)) as HeaderFields;
        header = { durable: h.durable, priority: h.priority, ttl: h.ttl, first_acquirer: h.first_acquirer };
        break;
      }
      case SECTION.deliveryAnnotations:
        break; // per-hop; not forwarded
      case SECTION.messageAnnotations: {
        const raw = readRawMap(buf, s.valueStart);
        for (const e of mapEntries(raw)) {
          if (e.key === SCHEDULED_ENQUEUE_TIME) scheduledAt = readTimestamp(raw.entries, e.valueStart);
        }
        ma = spliceMap(raw, BROKER_ANNOTATIONS, []);
        break;
      }
      case SECTION.properties: {
        const fields = readRawList(buf, s.valueStart);
        const decoded = messageUtil.decode(buf.subarray(s.start, s.end));
        messageId = stringId(decoded.message_id);
        sessionId = typeof decoded.group_id === 'string' ? decoded.group_id : undefined;
        if (messageId === undefined) {
          messageId = randomUUID().replace(/-/g, '');
          fields[0] = encodeTyped(str(messageId));
          props = Buffer.concat([PROPERTIES_PREFIX, encodeRawList(fields)]);
        } else {
          props = buf.subarray(s.start, s.end);
        }
        break;
      }
      case SECTION.applicationProperties:
        app = readRawMap(buf, s.valueStart);
        break;
      case SECTION.data:
      case SECTION.sequence:
      case SECTION.value:
      case SECTION.footer:
        if (tailStart < 0) tailStart = s.start;
        hasBody = true;
        tailEnd = s.end;
        break;
      default:
        throw new AmqpFormatError(`Unknown message section 0x${s.code.toString(16)}`);
    }
  }
  if (messageId === undefined) {
    messageId = randomUUID().replace(/-/g, '');
    props = Buffer.concat([PROPERTIES_PREFIX, encodeRawList([encodeTyped(str(messageId))])]);
  }
  const tail = hasBody ? buf.subarray(tailStart, tailEnd) : Buffer.alloc(0);
  const message = new StoredMessage(header, ma, props, app, tail, messageId, sessionId, buf.length);
  return { message, scheduledAt };
}

/** x-opt-message-state values the SDK reads (0 active, 1 deferred, 2 scheduled). */
function stateCode(state: MessageState, deferred: boolean): number {
  if (deferred || state === 'deferred') return 1;
  if (state === 'scheduled') return 2;
  return 0;
}

export interface DeliveryView {
  lockedUntil?: number;
  deferred?: boolean;
  deadLetterSource?: string;
}

/** Encodes the message for a transfer or a $management response: new header and annotations, original rest. */
export function encodeForDelivery(m: StoredMessage, view: DeliveryView = {}): Buffer {
  const header = encodeTyped(
    messageUtil
      .header({
        durable: m.header.durable ?? false,
        priority: m.header.priority ?? 4,
        ttl: m.header.ttl,
        first_acquirer: m.header.first_acquirer ?? false,
        delivery_count: m.deliveryCount,
      })
      .described(),
  );
  const added: Typed[] = [
    sym('x-opt-sequence-number'),
    types.wrap_long(m.seq),
    sym('x-opt-enqueued-time'),
    types.wrap_timestamp(m.enqueuedAt),
    sym('x-opt-message-state'),
    types.wrap_int(stateCode(m.state, view.deferred ?? false)),
  ];
  if (view.lockedUntil !== undefined)
    added.push(sym('x-opt-locked-until'), types.wrap_timestamp(view.lockedUntil));
  if (view.deadLetterSource !== undefined)
    added.push(sym('x-opt-deadletter-source'), str(view.deadLetterSource));
  const addedBytes = encodeTyped(...added);
  const annotations = encodeMapSection(SECTION.messageAnnotations, {
    pairs: m.ma.pairs + added.length / 2,
    entries: Buffer.concat([m.ma.entries, addedBytes]),
  });
  const parts = [header, annotations, m.props];
  if (m.app.pairs > 0) parts.push(encodeMapSection(SECTION.applicationProperties, m.app));
  parts.push(m.tail);
  return Buffer.concat(parts);
}

export { readString };
