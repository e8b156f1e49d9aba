/**
 * The handler the Functions host calls for a Service Bus trigger: it hands the definition the converted
 * message and the invocation context, returns on `complete` (the host then completes the message), and on
 * `deadLetter` logs the reason and throws DeadLetterRequested (the host then abandons it, and the broker
 * dead-letters it after maxDeliveryCount). A throw from the definition passes through unchanged.
 */
import { describe, expect, it } from 'vitest';
import { InvocationContext } from '../../../functions/azure-functions.js';
import type { QueueFunctionDefinition, QueueMessage, QueueOutcome } from '../../../functions/definitions.js';
import { DeadLetterRequested } from '../../../functions/queue/dead-letter-requested.js';
import { toServiceBusHandler } from '../../../functions/queue/to-service-bus-handler.js';

function setUp(outcome: () => Promise<QueueOutcome>) {
  const seen: Array<{ message: QueueMessage; context: InvocationContext }> = [];
  const logs: Array<{ level: string; args: unknown[] }> = [];
  const definition: QueueFunctionDefinition = {
    kind: 'serviceBusQueue',
    name: 'on-invoke',
    queueName: 'invoke',
    handler: async (message, context) => {
      seen.push({ message, context });
      return outcome();
    },
  };
  const context = new InvocationContext({
    functionName: 'on-invoke',
    triggerMetadata: {
      messageId: 'job-1:invoke:2',
      deliveryCount: 3,
      applicationProperties: { attempt: 2 },
      enqueuedTimeUtc: '2026-11-25T20:00:00.5',
      sequenceNumber: 7,
    },
    logHandler: (level, ...args) => void logs.push({ level, args }),
  });
  return { handler: toServiceBusHandler(definition), context, seen, logs };
}

describe('toServiceBusHandler', () => {
  it('passes the converted message and the same context, and returns on complete', async () => {
    const { handler, context, seen, logs } = setUp(async () => Promise.resolve({ settle: 'complete' }));
    await expect(handler({ jobId: 'job-1' }, context)).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.context).toBe(context);
    expect(seen[0]!.message).toEqual({
      body: { jobId: 'job-1' },
      messageId: 'job-1:invoke:2',
      deliveryCount: 2,
      applicationProperties: { attempt: 2 },
      enqueuedTimeUtc: new Date('2026-11-25T20:00:00.500Z'),
      sequenceNumber: '7',
    });
    expect(logs).toEqual([]);
  });

  it('throws DeadLetterRequested with the reason on deadLetter, after logging it as an error', async () => {
    const { handler, context, logs } = setUp(async () =>
      Promise.resolve({
        settle: 'deadLetter',
        reason: 'InvalidStageMessage',
        description: 'jobId: Required',
      }),
    );
    const error: unknown = await Promise.resolve(handler('garbage', context)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DeadLetterRequested);
    expect(error).toMatchObject({
      name: 'DeadLetterRequested',
      reason: 'InvalidStageMessage',
      description: 'jobId: Required',
      message: 'dead-letter requested: InvalidStageMessage: jobId: Required',
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.level).toBe('error');
    expect(JSON.parse(String(logs[0]!.args[0]))).toEqual({
      event: 'message.dead_letter_requested',
      reason: 'InvalidStageMessage',
      description: 'jobId: Required',
    });
  });

  it('lets an error from the definition through unchanged, so the host abandons the message', async () => {
    const failure = new Error('model unavailable');
    const { handler, context, logs } = setUp(async () => Promise.reject(failure));
    await expect(handler({}, context)).rejects.toBe(failure);
    expect(logs).toEqual([]);
  });
});
