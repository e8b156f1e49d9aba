/**
 * Byte-level handling of encoded AMQP messages. The broker keeps each message's original bytes and
 * rewrites only the header and message annotations on delivery, because decoding and re-encoding
 * loses AMQP types (int vs long vs double, symbol vs string, uuid vs binary).
 */
import { encodeTyped, types, type Typed } from './rhea.js';

export const SECTION = {
  header: 0x70,
  deliveryAnnotations: 0x71,
  messageAnnotations: 0x72,
  properties: 0x73,
  applicationProperties: 0x74,
  data: 0x75,
  sequence: 0x76,
  value: 0x77,
  footer: 0x78,
} as const;

const SYMBOLIC_SECTIONS: Record<string, number> = {
  'amqp:header:list': 0x70,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': 0x72,
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': 0x74,
  'amqp:data:binary': 0x75,
  'amqp:amqp-sequence:list': 0x76,
  'amqp:value:*': 0x77,
  'amqp:footer:map': 0x78,
};

export class AmqpFormatError extends Error {}

function byteAt(buf: Buffer, pos: number): number {
  const b = buf[pos];
  if (b === undefined) throw new AmqpFormatError('Truncated AMQP value');
  return b;
}

/** Returns the offset just past the AMQP value that starts at `pos` (AMQP 1.0 §1.2 encoding rules). */
export function skipValue(buf: Buffer, pos: number): number {
  const code = byteAt(buf, pos);
  if (code === 0x00) return skipValue(buf, skipValue(buf, pos + 1));
  let end: number;
  switch (code >> 4) {
    case 0x4:
      end = pos + 1;
      break;
    case 0x5:
      end = pos + 2;
      break;
    case 0x6:
      end = pos + 3;
      break;
    case 0x7:
      end = pos + 5;
      break;
    case 0x8:
      end = pos + 9;
      break;
    case 0x9:
      end = pos + 17;
      break;
    case 0xa:
    case 0xc:
    case 0xe:
      end = pos + 2 + byteAt(buf, pos + 1);
      break;
    case 0xb:
    case 0xd:
    case 0xf:
      if (pos + 5 > buf.length) throw new AmqpFormatError('Truncated AMQP value');
      end = pos + 5 + buf.readUInt32BE(pos + 1);
      break;
    default:
      throw new AmqpFormatError(`Unknown AMQP constructor 0x${code.toString(16)}`);
  }
  if (end > buf.length) throw new AmqpFormatError('Truncated AMQP value');
  return end;
}

/** Reads a string or symbol value at `pos`; undefined for any other type. */
export function readString(buf: Buffer, pos: number): string | undefined {
  const code = buf[pos];
  if (code === 0xa1 || code === 0xa3) return buf.toString('utf8', pos + 2, pos + 2 + byteAt(buf, pos + 1));
  if (code === 0xb1 || code === 0xb3)
    return buf.toString('utf8', pos + 5, pos + 5 + buf.readUInt32BE(pos + 1));
  return undefined;
}

/** Reads a timestamp (0x83) or long/ulong value at `pos` as a number; undefined for other types. */
export function readTimestamp(buf: Buffer, pos: number): number | undefined {
  const code = buf[pos];
  if (code === 0x83 || code === 0x81) return Number(buf.readBigInt64BE(pos + 1));
  if (code === 0x80) return Number(buf.readBigUInt64BE(pos + 1));
  return undefined;
}

export interface SectionRef {
  code: number;
  start: number;
  valueStart: number;
  end: number;
}

/** Splits an encoded message into its described sections. */
export function splitSections(buf: Buffer): SectionRef[] {
  const sections: SectionRef[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] !== 0x00) throw new AmqpFormatError('Expected a described message section');
    const descriptorAt = pos + 1;
    const descriptorEnd = skipValue(buf, descriptorAt);
    const d = byteAt(buf, descriptorAt);
    let code: number;
    if (d === 0x53) code = byteAt(buf, descriptorAt + 1);
    else if (d === 0x80) code = Number(buf.readBigUInt64BE(descriptorAt + 1));
    else if (d === 0x44) code = 0;
    else code = SYMBOLIC_SECTIONS[readString(buf, descriptorAt) ?? ''] ?? -1;
    const end = skipValue(buf, descriptorEnd);
    sections.push({ code, start: pos, valueStart: descriptorEnd, end });
    pos = end;
  }
  return sections;
}

/** A map kept as its encoded entries, so values keep their exact AMQP types. */
export interface RawMap {
  /** Number of key/value pairs. */
  pairs: number;
  entries: Buffer;
}

export const EMPTY_MAP: RawMap = { pairs: 0, entries: Buffer.alloc(0) };

/** Reads the map value at `pos` (null counts as empty). */
export function readRawMap(buf: Buffer, pos: number): RawMap {
  const code = byteAt(buf, pos);
  if (code === 0x40) return EMPTY_MAP;
  if (code === 0xc1) {
    const size = byteAt(buf, pos + 1);
    return { pairs: byteAt(buf, pos + 2) / 2, entries: buf.subarray(pos + 3, pos + 2 + size) };
  }
  if (code === 0xd1) {
    const size = buf.readUInt32BE(pos + 1);
    return { pairs: buf.readUInt32BE(pos + 5) / 2, entries: buf.subarray(pos + 9, pos + 5 + size) };
  }
  throw new AmqpFormatError(`Expected a map, got constructor 0x${code.toString(16)}`);
}

export interface RawEntry {
  key: string | undefined;
  keyStart: number;
  valueStart: number;
  end: number;
}

/** Walks the entries of a raw map. */
export function* mapEntries(map: RawMap): Generator<RawEntry> {
  let pos = 0;
  const buf = map.entries;
  for (let i = 0; i < map.pairs; i++) {
    const valueStart = skipValue(buf, pos);
    const end = skipValue(buf, valueStart);
    yield { key: readString(buf, pos), keyStart: pos, valueStart, end };
    pos = end;
  }
}

/** Removes the given keys and appends new typed entries; untouched entries keep their bytes. */
export function spliceMap(
  map: RawMap,
  drop: ReadonlySet<string>,
  add: ReadonlyArray<[Typed, Typed]>,
): RawMap {
  const parts: Buffer[] = [];
  let pairs = 0;
  for (const entry of mapEntries(map)) {
    if (entry.key !== undefined && drop.has(entry.key)) continue;
    parts.push(map.entries.subarray(entry.keyStart, entry.end));
    pairs++;
  }
  if (pairs === map.pairs && add.length === 0) return map; // nothing to change: keep the bytes as they are
  for (const [k, v] of add) {
    parts.push(encodeTyped(k, v));
    pairs++;
  }
  return { pairs, entries: Buffer.concat(parts) };
}

/** Encodes a described section (descriptor as small ulong) holding a raw map. */
export function encodeMapSection(code: number, map: RawMap): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 0x00;
  head[1] = 0x53;
  head[2] = code;
  head[3] = 0xd1;
  head.writeUInt32BE(map.entries.length + 4, 4);
  head.writeUInt32BE(map.pairs * 2, 8);
  return Buffer.concat([head, map.entries]);
}

/** Encodes a list value from already-encoded elements. */
export function encodeRawList(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const head = Buffer.alloc(9);
  head[0] = 0xd0;
  head.writeUInt32BE(body.length + 4, 1);
  head.writeUInt32BE(elements.length, 5);
  return Buffer.concat([head, body]);
}

/** Splits a list value at `pos` into its encoded elements. */
export function readRawList(buf: Buffer, pos: number): Buffer[] {
  const code = byteAt(buf, pos);
  let count: number;
  let at: number;
  if (code === 0x45 || code === 0x40) return [];
  if (code === 0xc0) {
    count = byteAt(buf, pos + 2);
    at = pos + 3;
  } else if (code === 0xd0) {
    count = buf.readUInt32BE(pos + 5);
    at = pos + 9;
  } else {
    throw new AmqpFormatError(`Expected a list, got constructor 0x${code.toString(16)}`);
  }
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const end = skipValue(buf, at);
    out.push(buf.subarray(at, end));
    at = end;
  }
  return out;
}

/** The binary payload of each data section of a batch envelope (message format 0x80013700). */
export function batchPayloads(envelope: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const s of splitSections(envelope)) {
    if (s.code !== SECTION.data) continue;
    const code = envelope[s.valueStart];
    if (code === 0xa0) out.push(envelope.subarray(s.valueStart + 2, s.end));
    else if (code === 0xb0) out.push(envelope.subarray(s.valueStart + 5, s.end));
  }
  return out;
}

export const sym = (s: string): Typed => types.wrap_symbol(s);
export const str = (s: string): Typed => types.wrap_string(s);
