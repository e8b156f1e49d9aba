/**
 * The converter on its own, with message objects shaped as the SDK delivers them (body already
 * JSON-decoded when it was JSON, a Long sequence number, a 0-based AMQP delivery count, kept 0-based as the
 * Azure converter in functions/queue/from-service-bus-trigger.ts makes it). The queue trigger tests cover
 * the same path through the real SDK and emulator.
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { expect, test } from 'vitest';
import { fromServiceBusReceivedMessage } from '../../../local/devhost/index.js';

const received = (overrides: Partial<ServiceBusReceivedMessage>) =>
  ({ body: undefined, deliveryCount: 0, state: 'active', ...overrides }) as ServiceBusReceivedMessage;

test('maps the SDK message to the QueueMessage handlers see under Azure', () => {
  const enqueued = new Date('2026-11-25T20:00:00Z');
  const message = fromServiceBusReceivedMessage(
    received({
      body: { jobId: 'j1' },
      messageId: 'j1:invoke:1',
      deliveryCount: 2,
      applicationProperties: { traceparent: '00-abc', attempt: 1 },
      contentType: 'application/json',
      correlationId: 'corr',
      enqueuedTimeUtc: enqueued,
      // A stand-in for the SDK's Long (a dependency of the SDK, not of this project): only toString matters.
      sequenceNumber: { toString: () => '9007199254740993' } as ServiceBusReceivedMessage['sequenceNumber'],
    }),
  );
  expect(message).toEqual({
    body: { jobId: 'j1' },
    messageId: 'j1:invoke:1',
    deliveryCount: 2,
    applicationProperties: { traceparent: '00-abc', attempt: 1 },
    contentType: 'application/json',
    correlationId: 'corr',
    enqueuedTimeUtc: enqueued,
    sequenceNumber: '9007199254740993',
  });
});

test('text bytes become a string, other bytes stay a Buffer, missing fields stay absent', () => {
  const text = fromServiceBusReceivedMessage(
    received({ body: Buffer.from('not json', 'utf8'), messageId: 7 }),
  );
  expect(text).toEqual({ body: 'not json', messageId: '7', deliveryCount: 0, applicationProperties: {} });
  const binary = fromServiceBusReceivedMessage(received({ body: Buffer.from([0xff, 0xfe, 0x00]) }));
  expect(binary.body).toEqual(Buffer.from([0xff, 0xfe, 0x00]));
  expect(binary.messageId).toBe('');
});
