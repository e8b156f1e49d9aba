/**
 * The Service Bus trigger converter on its own, fed the trigger metadata as a v4 Node handler receives it:
 * the extension's binding data (DeliveryCount, EnqueuedTimeUtc, SequenceNumber, ApplicationProperties and
 * UserProperties, ...) with keys camelCased by @azure/functions, numbers and dates decoded from JSON, and
 * text passed through the library's JSON.parse attempt. Then the dev host's metadata, and every odd value.
 */
import type { TriggerMetadata } from '@azure/functions';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fromServiceBusTrigger } from '../../../functions/queue/from-service-bus-trigger.js';
import { toTriggerMetadata } from '../../../local/devhost/queue-message.js';

/** Metadata of a first delivery as the Functions host sends it for one message (not a batch). */
function hostMetadata(overrides: TriggerMetadata = {}): TriggerMetadata {
  return {
    deliveryCount: 1,
    deadLetterSource: undefined,
    lockToken: '5f1d5b4c-7a5e-4b53-9a0c-2f0b9d1c3e11',
    expiresAtUtc: '2026-12-09T20:00:00.1234567',
    expiresAt: '2026-12-09T20:00:00.1234567+00:00',
    enqueuedTimeUtc: '2026-11-25T20:00:00.1234567',
    enqueuedTime: '2026-11-25T20:00:00.1234567+00:00',
    messageId: 'job-1:invoke:1',
    contentType: 'application/json',
    replyTo: undefined,
    sequenceNumber: 42,
    to: undefined,
    subject: undefined,
    label: undefined,
    correlationId: 'job-1',
    applicationProperties: {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      attempt: 1,
    },
    userProperties: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', attempt: 1 },
    sessionId: undefined,
    ...overrides,
  };
}

const convert = (overrides: TriggerMetadata) => fromServiceBusTrigger({}, hostMetadata(overrides));

describe('metadata as the Functions host sends it', () => {
  it('maps a first delivery onto the QueueMessage handlers see, body untouched', () => {
    const body = { jobId: 'job-1', request: { messages: [] } };
    expect(fromServiceBusTrigger(body, hostMetadata())).toEqual({
      body,
      messageId: 'job-1:invoke:1',
      deliveryCount: 0,
      applicationProperties: {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        attempt: 1,
      },
      contentType: 'application/json',
      correlationId: 'job-1',
      enqueuedTimeUtc: new Date(Date.UTC(2026, 10, 25, 20, 0, 0, 123)),
      sequenceNumber: '42',
    });
    expect(fromServiceBusTrigger(body, hostMetadata()).body).toBe(body);
  });

  it('counts previous deliveries: the host counts this one too', () => {
    expect(convert({ deliveryCount: 1 }).deliveryCount).toBe(0);
    expect(convert({ deliveryCount: 2 }).deliveryCount).toBe(1);
    expect(convert({ deliveryCount: 10 }).deliveryCount).toBe(9);
    expect(convert({ deliveryCount: '3' }).deliveryCount).toBe(2);
  });

  it('reads a DateTime without a zone designator as UTC, whatever the local zone, to the millisecond', () => {
    // In a zone other than UTC `new Date('2026-11-25T20:00:00')` would be 5 hours off here.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    onTestFinished(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });
    expect(new Date('2026-11-25T20:00:00').getTime()).not.toBe(Date.UTC(2026, 10, 25, 20));
    const expected = Date.UTC(2026, 10, 25, 20, 0, 0, 123);
    expect(convert({ enqueuedTimeUtc: '2026-11-25T20:00:00.1234567' }).enqueuedTimeUtc?.getTime()).toBe(
      expected,
    );
    expect(convert({ enqueuedTimeUtc: '2026-11-25T20:00:00.123Z' }).enqueuedTimeUtc?.getTime()).toBe(
      expected,
    );
    expect(convert({ enqueuedTimeUtc: '2026-11-25T21:30:00.123+01:30' }).enqueuedTimeUtc?.getTime()).toBe(
      expected,
    );
    expect(convert({ enqueuedTimeUtc: '2026-11-25T15:00:00.123-0500' }).enqueuedTimeUtc?.getTime()).toBe(
      expected,
    );
    expect(convert({ enqueuedTimeUtc: '2026-11-25T20:00:00.1Z' }).enqueuedTimeUtc?.getTime()).toBe(
      Date.UTC(2026, 10, 25, 20, 0, 0, 100),
    );
    expect(convert({ enqueuedTimeUtc: '2026-11-25T20:00' }).enqueuedTimeUtc?.getTime()).toBe(
      Date.UTC(2026, 10, 25, 20, 0),
    );
  });

  it('prefers applicationProperties and falls back to userProperties, the older name of the same bag', () => {
    expect(
      convert({ applicationProperties: { tenantId: 'acme' }, userProperties: { tenantId: 'other' } })
        .applicationProperties,
    ).toEqual({ tenantId: 'acme' });
    expect(
      convert({ applicationProperties: undefined, userProperties: { tenantId: 'acme' } })
        .applicationProperties,
    ).toEqual({ tenantId: 'acme' });
  });

  it('copies the properties, so a handler cannot change the metadata the host passed', () => {
    const applicationProperties = { tenantId: 'acme' };
    const message = convert({ applicationProperties });
    expect(message.applicationProperties).toEqual(applicationProperties);
    expect(message.applicationProperties).not.toBe(applicationProperties);
  });

  it('keeps property names as the library delivers them: the first letter already lowercased', () => {
    // `Diagnostic-Id` set by the sender arrives as `diagnostic-Id`; the converter cannot know the original.
    expect(convert({ applicationProperties: { 'diagnostic-Id': '00-abc' } }).applicationProperties).toEqual({
      'diagnostic-Id': '00-abc',
    });
  });
});

describe('metadata as the dev host builds it', () => {
  it('round-trips every field through toTriggerMetadata, a sequence number beyond 2^53 included', () => {
    const message = {
      body: { jobId: 'j1' },
      messageId: 'j1:persist:2',
      deliveryCount: 3,
      applicationProperties: { traceparent: '00-abc', attempt: 2 },
      contentType: 'application/json',
      correlationId: 'j1',
      enqueuedTimeUtc: new Date('2026-11-25T20:00:00.456Z'),
      sequenceNumber: '9223372036854775807',
    };
    expect(fromServiceBusTrigger(message.body, toTriggerMetadata(message))).toEqual(message);
  });

  it('leaves absent optional fields absent', () => {
    const message = { body: 'x', messageId: 'm', deliveryCount: 0, applicationProperties: {} };
    expect(fromServiceBusTrigger('x', toTriggerMetadata(message))).toEqual(message);
  });
});

describe('missing metadata', () => {
  it('gives an empty message id, a first delivery and no properties when there is no metadata at all', () => {
    const expected = { body: 'raw', messageId: '', deliveryCount: 0, applicationProperties: {} };
    expect(fromServiceBusTrigger('raw', undefined)).toEqual(expected);
    expect(fromServiceBusTrigger('raw', {})).toEqual(expected);
    expect(fromServiceBusTrigger('raw', null as unknown as TriggerMetadata)).toEqual(expected);
    expect(fromServiceBusTrigger('raw', [] as unknown as TriggerMetadata)).toEqual(expected);
  });

  it('leaves out every optional field that is undefined or null (the host sends a null property as undefined)', () => {
    for (const absent of [undefined, null]) {
      const message = fromServiceBusTrigger(
        {},
        {
          messageId: absent,
          deliveryCount: absent,
          applicationProperties: absent,
          userProperties: absent,
          contentType: absent,
          correlationId: absent,
          enqueuedTimeUtc: absent,
          sequenceNumber: absent,
        },
      );
      expect(message).toEqual({ body: {}, messageId: '', deliveryCount: 0, applicationProperties: {} });
      expect(Object.keys(message).sort()).toEqual([
        'applicationProperties',
        'body',
        'deliveryCount',
        'messageId',
      ]);
    }
  });
});

describe('text the library JSON-parsed', () => {
  it('turns a numeric or boolean id back into its text', () => {
    expect(convert({ messageId: 12345 }).messageId).toBe('12345');
    expect(convert({ messageId: 0 }).messageId).toBe('0');
    expect(convert({ messageId: -7 }).messageId).toBe('-7');
    expect(convert({ messageId: 1.5 }).messageId).toBe('1.5');
    expect(convert({ messageId: true }).messageId).toBe('true');
    expect(convert({ messageId: 12345n }).messageId).toBe('12345');
    expect(convert({ correlationId: 42 }).correlationId).toBe('42');
    expect(convert({ correlationId: false }).correlationId).toBe('false');
  });

  it('drops an integer id beyond 2^53 rather than make up digits the parse lost', () => {
    // The library's JSON.parse of the id: "12345678901234567891" gives the same number, so as text they
    // would be one id, and on the intake queue one job.
    const parsed: unknown = JSON.parse('12345678901234567890');
    expect(parsed).toBe(JSON.parse('12345678901234567891'));
    expect(convert({ messageId: parsed }).messageId).toBe('');
    expect(convert({ messageId: Number.MAX_SAFE_INTEGER }).messageId).toBe('9007199254740991');
    expect(convert({ correlationId: 2 ** 60 })).not.toHaveProperty('correlationId');
  });

  it('drops an id that became an object, an array or a non-finite number', () => {
    expect(convert({ messageId: { a: 1 } }).messageId).toBe('');
    expect(convert({ messageId: [1, 2] }).messageId).toBe('');
    expect(convert({ messageId: Number.NaN }).messageId).toBe('');
    expect(convert({ messageId: Number.POSITIVE_INFINITY }).messageId).toBe('');
    expect(convert({ correlationId: { a: 1 } })).not.toHaveProperty('correlationId');
  });

  it('treats an empty correlation id or content type as absent; an empty message id stays empty', () => {
    const message = convert({ messageId: '', correlationId: '', contentType: '' });
    expect(message.messageId).toBe('');
    expect(message).not.toHaveProperty('correlationId');
    expect(message).not.toHaveProperty('contentType');
  });

  it('keeps a content type only when it is text', () => {
    expect(convert({ contentType: 'text/plain; charset=utf-8' }).contentType).toBe(
      'text/plain; charset=utf-8',
    );
    expect(convert({ contentType: 1 })).not.toHaveProperty('contentType');
    expect(convert({ contentType: { type: 'json' } })).not.toHaveProperty('contentType');
  });
});

describe('odd delivery counts', () => {
  it.each([
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['beyond 2^53', 2 ** 60],
    ['non-numeric text', 'many'],
    ['text with a sign', '-2'],
    ['text with a fraction', '2.5'],
    ['empty text', ''],
    ['a boolean', true],
    ['an object', { count: 2 }],
  ])('counts a first delivery for %s', (_label, deliveryCount) => {
    expect(convert({ deliveryCount }).deliveryCount).toBe(0);
  });
});

describe('odd sequence numbers', () => {
  it('keeps every digit of a 64-bit sequence number given as text or a bigint', () => {
    expect(convert({ sequenceNumber: '9223372036854775807' }).sequenceNumber).toBe('9223372036854775807');
    expect(convert({ sequenceNumber: 9223372036854775807n }).sequenceNumber).toBe('9223372036854775807');
    expect(convert({ sequenceNumber: 0 }).sequenceNumber).toBe('0');
    expect(convert({ sequenceNumber: Number.MAX_SAFE_INTEGER }).sequenceNumber).toBe('9007199254740991');
  });

  it.each([
    ['a number beyond 2^53, whose digits are already lost', 2 ** 53 + 2],
    ['a negative number', -1],
    ['a fraction', 4.2],
    ['NaN', Number.NaN],
    ['non-numeric text', 'abc'],
    ['signed text', '-5'],
    ['empty text', ''],
    ['a negative bigint', -1n],
    ['an object', { low: 1, high: 0 }],
  ])('leaves out %s', (_label, sequenceNumber) => {
    expect(convert({ sequenceNumber })).not.toHaveProperty('sequenceNumber');
  });
});

describe('odd enqueued times', () => {
  it('accepts a valid Date as is, copied', () => {
    const enqueued = new Date('2026-11-25T20:00:00.000Z');
    const message = convert({ enqueuedTimeUtc: enqueued });
    expect(message.enqueuedTimeUtc).toEqual(enqueued);
    expect(message.enqueuedTimeUtc).not.toBe(enqueued);
  });

  it('keeps the years 0-99 as written (.NET DateTime.MinValue is 0001-01-01)', () => {
    expect(convert({ enqueuedTimeUtc: '0001-01-01T00:00:00' }).enqueuedTimeUtc?.toISOString()).toBe(
      '0001-01-01T00:00:00.000Z',
    );
  });

  it('accepts February 29 in a leap year', () => {
    expect(convert({ enqueuedTimeUtc: '2028-02-29T00:00:00Z' }).enqueuedTimeUtc?.toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
  });

  it.each([
    ['text that is no date', 'yesterday'],
    ['an empty string', ''],
    ['a date without a time', '2026-11-25'],
    ['a day that does not exist', '2026-02-30T00:00:00Z'],
    ['February 29 outside a leap year', '2026-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-11-25T24:00:00Z'],
    ['minute 60', '2026-11-25T20:60:00Z'],
    ['second 60', '2026-11-25T20:00:60Z'],
    ['an offset beyond 23 hours', '2026-11-25T20:00:00+24:00'],
    ['an RFC 1123 date, whose parse depends on the engine', 'Wed, 25 Nov 2026 20:00:00 GMT'],
    ['trailing text', '2026-11-25T20:00:00Z junk'],
    ['epoch milliseconds', 1_795_636_800_000],
    ['an Invalid Date', new Date(Number.NaN)],
    ['an object', { year: 2026 }],
  ])('leaves out %s', (_label, enqueuedTimeUtc) => {
    expect(convert({ enqueuedTimeUtc })).not.toHaveProperty('enqueuedTimeUtc');
  });
});

describe('odd property bags', () => {
  it.each([
    ['a string', 'tenantId=acme'],
    ['an array', [['tenantId', 'acme']]],
    ['a number', 1],
  ])('skips applicationProperties that is %s and uses userProperties', (_label, applicationProperties) => {
    expect(
      convert({ applicationProperties, userProperties: { tenantId: 'acme' } }).applicationProperties,
    ).toEqual({ tenantId: 'acme' });
  });

  it('gives no properties when neither bag is an object', () => {
    expect(convert({ applicationProperties: 'x', userProperties: [1] }).applicationProperties).toEqual({});
  });

  it('keeps property values of every type as they arrived', () => {
    const applicationProperties = {
      tenantId: 'acme',
      attempt: 3,
      replay: false,
      nothing: null,
      nested: { a: 1 },
    };
    expect(convert({ applicationProperties }).applicationProperties).toEqual(applicationProperties);
  });
});
