// Unit tests for the emulator's building blocks: durations, data structures and byte-level message handling.
import { describe, expect, test } from 'vitest';
import { SECTION, batchPayloads, splitSections } from '../../../local/servicebus/amqp-bytes.js';
import { parseIsoDuration } from '../../../local/servicebus/duration.js';
import { encodeTyped, messageUtil, rhea, types } from '../../../local/servicebus/rhea.js';
import { checkSasToken, signSas } from '../../../local/servicebus/sas.js';
import { encodeForDelivery, parseMessage } from '../../../local/servicebus/stored-message.js';
import { Deque, MinHeap } from '../../../local/servicebus/structures.js';

describe('parseIsoDuration', () => {
  test.each([
    ['P14D', 14 * 86_400_000],
    ['PT5M', 300_000],
    ['PT1M', 60_000],
    ['PT0.5S', 500],
    ['PT1H30M', 5_400_000],
    ['P1DT2H3M4.5S', 86_400_000 + 7_200_000 + 180_000 + 4500],
    ['P10675199D', 10675199 * 86_400_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });
  test.each(['', 'P', 'PT', '5M', 'PT5X', 'P1DT'])('rejects %j', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(/Invalid ISO-8601 duration/);
  });
});

describe('Deque', () => {
  test('push, shift and unshift keep order across growth and wrap-around', () => {
    const d = new Deque<number>();
    const model: number[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 7 === 0) {
        d.unshift(-i);
        model.unshift(-i);
      } else {
        d.push(i);
        model.push(i);
      }
      if (i % 3 === 0) expect(d.shift()).toBe(model.shift());
    }
    expect([...d]).toEqual(model);
    expect(d.length).toBe(model.length);
    while (d.length) expect(d.shift()).toBe(model.shift());
    expect(d.shift()).toBeUndefined();
  });
});

describe('MinHeap', () => {
  test('pops in time order and retain() drops stale entries', () => {
    const heap = new MinHeap<{ at: number; id: number }>();
    const ats = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 500) + 0.5);
    ats.forEach((at, id) => heap.push({ at, id }));
    heap.retain((e) => e.id % 2 === 0);
    const out: number[] = [];
    for (let e = heap.pop(); e; e = heap.pop()) out.push(e.at);
    const expected = ats.filter((_, id) => id % 2 === 0).sort((a, b) => a - b);
    expect(out).toEqual(expected);
  });
});

describe('SAS tokens', () => {
  const key = 'local-key';
  const token = (
    audience: string,
    k = key,
    name = 'Root',
    expiry = Math.floor(Date.now() / 1000) + 3600,
  ): string => {
    const sr = encodeURIComponent(audience);
    return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(signSas(k, sr, expiry))}&se=${expiry}&skn=${name}`;
  };
  test('accepts a token signed with the key and returns the entity path', () => {
    expect(checkSasToken(token('sb://127.0.0.1:5672/intake'), 'Root', key, Date.now())).toEqual({
      ok: true,
      path: 'intake',
    });
  });
  test('refuses a wrong key, a wrong key name and an expired token', () => {
    expect(checkSasToken(token('sb://h/q', 'other'), 'Root', key, Date.now()).ok).toBe(false);
    expect(checkSasToken(token('sb://h/q', key, 'Else'), 'Root', key, Date.now()).ok).toBe(false);
    expect(checkSasToken(token('sb://h/q', key, 'Root', 1000), 'Root', key, Date.now()).ok).toBe(false);
    expect(checkSasToken('SharedAccessSignature sr=%E0%A4%A&sig=x&se=1&skn=Root', 'Root', key, 0).ok).toBe(
      false,
    );
    expect(checkSasToken('Bearer abc', 'Root', key, 0).ok).toBe(false);
  });
});

describe('stored messages keep their bytes', () => {
  const uuid = rhea.string_to_uuid('0f8fad5b-d9cb-469f-a165-70867728950e');
  const original = messageUtil.encode({
    message_id: 'm-1',
    subject: 'typed',
    group_id: 'g',
    message_annotations: { 'x-custom': 'kept', 'x-opt-sequence-number': 999 },
    application_properties: {
      int: types.wrap_int(5),
      long: types.wrap_long(5),
      double: types.wrap_double(5),
      sym: types.wrap_symbol('s'),
      id: types.wrap_uuid(uuid),
      bin: types.wrap_binary(Buffer.from([1, 2])),
    },
    body: 'hello',
  });

  const sectionBytes = (buf: Buffer, code: number): Buffer | undefined => {
    const s = splitSections(buf).find((x) => x.code === code);
    return s ? buf.subarray(s.start, s.end) : undefined;
  };

  test('properties, application properties and body are byte-identical after delivery encoding', () => {
    const { message } = parseMessage(original);
    message.seq = 42;
    message.enqueuedAt = 1_700_000_000_000;
    message.deliveryCount = 3;
    const delivered = encodeForDelivery(message, { lockedUntil: 1_700_000_060_000 });
    for (const code of [SECTION.properties, SECTION.applicationProperties, SECTION.value]) {
      expect(sectionBytes(delivered, code)).toEqual(sectionBytes(original, code));
    }
    const decoded = messageUtil.decode(delivered);
    expect(decoded.delivery_count).toBe(3);
    const annotations = decoded.message_annotations as Record<string, unknown>;
    expect(annotations['x-custom']).toBe('kept');
    // Clients cannot set broker-owned annotations.
    expect(annotations['x-opt-sequence-number']).toBe(42);
    expect(new Date(annotations['x-opt-locked-until'] as Date).getTime()).toBe(1_700_000_060_000);
    expect(message.messageId).toBe('m-1');
    expect(message.sessionId).toBe('g');
  });

  test('a message without message-id gets one, with its other properties intact', () => {
    const bytes = messageUtil.encode({ subject: 's', correlation_id: 'c', body: 'x' });
    const { message } = parseMessage(bytes);
    expect(message.messageId).toMatch(/^[0-9a-f]{32}$/);
    const decoded = messageUtil.decode(encodeForDelivery(message));
    expect(decoded.message_id).toBe(message.messageId);
    expect(decoded.subject).toBe('s');
    expect(decoded.correlation_id).toBe('c');
    expect(decoded.body).toBe('x');
  });

  test('dead-letter copies add DeadLetterReason without touching the other properties', () => {
    const { message } = parseMessage(original);
    const dead = message.toDeadLetter('Why', 'Because');
    const decoded = messageUtil.decode(encodeForDelivery(dead));
    const props = decoded.application_properties as Record<string, unknown>;
    expect(props.DeadLetterReason).toBe('Why');
    expect(props.DeadLetterErrorDescription).toBe('Because');
    expect(props.int).toBe(5);
  });

  test('a batch envelope yields each inner message', () => {
    const inner = [messageUtil.encode({ body: 'a' }), messageUtil.encode({ body: 'b' })];
    const envelope = Buffer.concat(
      inner.map((b) => encodeTyped(types.described(types.wrap_ulong(0x75), types.wrap_binary(b)))),
    );
    expect(batchPayloads(envelope)).toEqual(inner);
  });
});
