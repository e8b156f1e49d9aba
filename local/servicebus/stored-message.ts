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
import { encodeTyped, rhea, types, type Typed } from './rhea.js';

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
  /**
   * Set while a peek-lock receiver holds the message: the queue's Lock (entity-types.ts). Typed by
   * the one field read through the message, so this module does not depend on the queue's types.
   */
  lock: { readonly lockedUntil: number } | undefined;

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

function readBoolean(v: Buffer | undefined): boolean | undefined {
  if (!v) return undefined;
  if (v[0] === 0x41) return true;
  if (v[0] === 0x42) return false;
  if (v[0] === 0x56) return v[1] === 1;
  return undefined;
}

function readUint(v: Buffer | undefined): number | undefined {
  if (!v) return undefined;
  if (v[0] === 0x70) return v.readUInt32BE(1);
  if (v[0] === 0x52) return v[1];
  if (v[0] === 0x43) return 0;
  return undefined;
}

/** The message-id as a string key for duplicate detection (string, ulong, uuid or binary per AMQP). */
function readMessageId(v: Buffer | undefined): string | undefined {
  const code = v?.[0];
  if (!v || code === undefined) return undefined;
  switch (code) {
    case 0xa1:
    case 0xb1:
      return readString(v, 0);
    case 0x44:
      return '0';
    case 0x53:
      return String(v[1]);
    case 0x80:
      return v.readBigUInt64BE(1).toString();
    case 0x98:
      return rhea.uuid_to_string(v.subarray(1, 17));
    case 0xa0:
      return v.subarray(2).toString('hex');
    case 0xb0:
      return v.subarray(5).toString('hex');
    default:
      return undefined;
  }
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
        const [durable, priority, ttl, firstAcquirer] = readRawList(buf, s.valueStart);
        header = {
          durable: readBoolean(durable),
          priority: priority?.[0] === 0x50 ? priority[1] : undefined,
          ttl: readUint(ttl),
          first_acquirer: readBoolean(firstAcquirer),
        };
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
        messageId = readMessageId(fields[0]);
        sessionId = fields[10] ? readString(fields[10], 0) : undefined;
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
const key = (name: string): Buffer =>
  Buffer.concat([Buffer.from([0xa3, name.length]), Buffer.from(name, 'latin1')]);
const SEQUENCE_NUMBER = key('x-opt-sequence-number');
const ENQUEUED_TIME = key('x-opt-enqueued-time');
const MESSAGE_STATE = key('x-opt-message-state');
const LOCKED_UNTIL = key('x-opt-locked-until');

/**
 * Encodes the message for a transfer or a $management response: a new header and message annotations
 * followed by the original properties, application properties and body. Hand-encoded into one buffer
 * because this runs for every delivery (rhea's generic writer costs several times more).
 */
export function encodeForDelivery(m: StoredMessage, view: DeliveryView = {}): Buffer {
  const extra =
    view.deadLetterSource === undefined
      ? undefined
      : encodeTyped(sym('x-opt-deadletter-source'), str(view.deadLetterSource));
  const withLock = view.lockedUntil !== undefined;
  const annotationBytes =
    SEQUENCE_NUMBER.length +
    9 +
    ENQUEUED_TIME.length +
    9 +
    MESSAGE_STATE.length +
    5 +
    (withLock ? LOCKED_UNTIL.length + 9 : 0);
  const pairs = m.ma.pairs + 3 + (withLock ? 1 : 0) + (extra ? 1 : 0);
  const maEntries = m.ma.entries.length + annotationBytes + (extra?.length ?? 0);
  const appSection = m.app.pairs > 0 ? 12 + m.app.entries.length : 0;
  // descriptor (3) + list8 constructor, size, count (3) + the five fields
  const headerSize = 3 + 3 + 1 + 2 + (m.header.ttl === undefined ? 1 : 5) + 1 + 5;
  const total = headerSize + 12 + maEntries + m.props.length + appSection + m.tail.length;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  // header: described list of durable, priority, ttl, first-acquirer, delivery-count (AMQP 1.0 §3.2.1)
  out[o++] = 0x00;
  out[o++] = 0x53;
  out[o++] = SECTION.header;
  out[o++] = 0xc0;
  out[o++] = headerSize - 5;
  out[o++] = 5;
  out[o++] = m.header.durable ? 0x41 : 0x42;
  out[o++] = 0x50;
  out[o++] = m.header.priority ?? 4;
  if (m.header.ttl === undefined) out[o++] = 0x40;
  else {
    out[o++] = 0x70;
    o = out.writeUInt32BE(m.header.ttl >>> 0, o);
  }
  out[o++] = m.header.first_acquirer ? 0x41 : 0x42;
  out[o++] = 0x70;
  o = out.writeUInt32BE(m.deliveryCount >>> 0, o);
  // message annotations: the sender's own entries, then the broker's
  out[o++] = 0x00;
  out[o++] = 0x53;
  out[o++] = SECTION.messageAnnotations;
  out[o++] = 0xd1;
  o = out.writeUInt32BE(maEntries + 4, o);
  o = out.writeUInt32BE(pairs * 2, o);
  o += m.ma.entries.copy(out, o);
  o += SEQUENCE_NUMBER.copy(out, o);
  out[o++] = 0x81;
  o = out.writeBigInt64BE(BigInt(m.seq), o);
  o += ENQUEUED_TIME.copy(out, o);
  out[o++] = 0x83;
  o = out.writeBigInt64BE(BigInt(Math.trunc(m.enqueuedAt)), o);
  o += MESSAGE_STATE.copy(out, o);
  out[o++] = 0x71;
  o = out.writeInt32BE(stateCode(m.state, view.deferred ?? false), o);
  if (withLock) {
    o += LOCKED_UNTIL.copy(out, o);
    out[o++] = 0x83;
    o = out.writeBigInt64BE(BigInt(Math.trunc(view.lockedUntil ?? 0)), o);
  }
  if (extra) o += extra.copy(out, o);
  o += m.props.copy(out, o);
  if (appSection > 0) {
    out[o++] = 0x00;
    out[o++] = 0x53;
    out[o++] = SECTION.applicationProperties;
    out[o++] = 0xd1;
    o = out.writeUInt32BE(m.app.entries.length + 4, o);
    o = out.writeUInt32BE(m.app.pairs * 2, o);
    o += m.app.entries.copy(out, o);
  }
  o += m.tail.copy(out, o);
  if (o !== total) throw new Error(`encodeForDelivery: wrote ${o} of ${total} bytes`);
  return out;
}

export { readString };
