/**
 * Queue triggers through the real @azure/service-bus SDK against the project's Service Bus emulator:
 * settlement from the handler's outcome, redelivery after a throw, host.json concurrency, graceful close.
 * Every behaviour holds both with the receivers on the dev host's thread and on a listener thread.
 */
import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';
import type { InvocationContext } from '@azure/functions';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { QueueFunctionDefinition, QueueMessage, QueueOutcome } from '../../../functions/definitions.js';
import {
  readHostSettings,
  startDevHost,
  type DevHost,
  type HostSettings,
} from '../../../local/devhost/index.js';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../local/servicebus/index.js';
import { memoryLogger } from './helpers.js';

const QUEUES = ['complete', 'deadletter', 'retry', 'manual', 'concurrency', 'drain', 'stuck'];
const LISTENERS = ['in-process', 'thread'] as const;
type Listener = (typeof LISTENERS)[number];

/** Each listener mode gets its own queues, so one mode's leftovers (a lock left to expire) never meet the other. */
let listener: Listener = 'in-process';
const q = (name: string) => `${listener}-${name}`;

let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
let host: DevHost | undefined;

beforeAll(async () => {
  // Locks long enough that only an explicit abandon, never an expiry, can bring a message back in a test.
  emulator = await startServiceBusEmulator({
    queues: LISTENERS.flatMap((mode) =>
      QUEUES.map((name) => ({ name: `${mode}-${name}`, lockDuration: 'PT30S', maxDeliveryCount: 5 })),
    ),
  });
  client = new ServiceBusClient(emulator.connectionString);
});

afterEach(async () => {
  await host?.close();
  host = undefined;
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

function settings(maxConcurrentCalls: number): HostSettings {
  // host.json as committed (auto-complete on, 5 min lock renewal, retry options), concurrency per test.
  const fromHostJson = readHostSettings();
  return { ...fromHostJson, serviceBus: { ...fromHostJson.serviceBus, maxConcurrentCalls } };
}

type Handler = QueueFunctionDefinition['handler'];

async function run(
  queueName: string,
  handler: Handler,
  options: { concurrency?: number; graceMs?: number } = {},
) {
  const logger = memoryLogger();
  host = await startDevHost({
    definitions: [{ kind: 'serviceBusQueue', name: `on-${queueName}`, queueName: q(queueName), handler }],
    port: 0,
    serviceBusConnectionString: emulator.connectionString,
    hostSettings: settings(options.concurrency ?? 4),
    shutdownGraceMs: options.graceMs ?? 5_000,
    queueListener: listener,
    log: logger,
  });
  return { host, logger };
}

async function send(queueName: string, ...messages: ServiceBusMessage[]): Promise<void> {
  const sender = client.createSender(q(queueName));
  await sender.sendMessages(messages);
  await sender.close();
}

const counts = (queueName: string) => emulator.stats()[q(queueName)]!;
const complete: QueueOutcome = { settle: 'complete' };

describe.each(LISTENERS)('queue triggers, receivers %s', (mode) => {
  beforeAll(() => {
    listener = mode;
  });

  test('complete: the handler sees the message as under Azure and the message is removed', async () => {
    const seen: Array<{ message: QueueMessage; context: InvocationContext }> = [];
    await run('complete', (message, context) => {
      seen.push({ message, context });
      return Promise.resolve(complete);
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await send('complete', {
      body: { jobId: 'job-1', n: 1 },
      messageId: 'job-1:invoke:1',
      contentType: 'application/json',
      correlationId: 'job-1',
      applicationProperties: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, attempt: 1 },
    });
    await expect.poll(() => seen.length).toBe(1);
    const { message, context } = seen[0]!;
    expect(message).toMatchObject({
      body: { jobId: 'job-1', n: 1 },
      messageId: 'job-1:invoke:1',
      deliveryCount: 0,
      contentType: 'application/json',
      correlationId: 'job-1',
      applicationProperties: { attempt: 1 },
    });
    expect(message.sequenceNumber).toMatch(/^\d+$/);
    expect(message.enqueuedTimeUtc).toBeInstanceOf(Date);
    expect(context.functionName).toBe('on-complete');
    expect(context.traceContext?.traceParent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    // Metadata as the runtime gives it: .NET's 1-based count, which the Azure converter
    // (functions/queue/from-service-bus-trigger.ts) turns back into 0.
    expect(context.triggerMetadata).toMatchObject({ messageId: 'job-1:invoke:1', deliveryCount: 1 });
    await expect.poll(() => counts('complete')).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
  });

  test('deadLetter: the message lands in the dead-letter queue with the reason and description', async () => {
    await run('deadletter', () =>
      Promise.resolve({
        settle: 'deadLetter',
        reason: 'UnparseableMessage',
        description: 'body is not a job',
      }),
    );
    await send('deadletter', { body: 'garbage', messageId: 'poison-1' });
    await expect.poll(() => counts('deadletter').deadLettered).toBe(1);
    const dlq = client.createReceiver(q('deadletter'), {
      subQueueType: 'deadLetter',
      receiveMode: 'receiveAndDelete',
    });
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await dlq.close();
    expect(dead).toMatchObject({
      messageId: 'poison-1',
      body: 'garbage',
      deadLetterReason: 'UnparseableMessage',
      deadLetterErrorDescription: 'body is not a job',
    });
    expect(counts('deadletter')).toMatchObject({ active: 0, locked: 0 });
  });

  test('a throw abandons the message: it comes back at once with deliveryCount + 1', async () => {
    const deliveries: number[] = [];
    const { logger } = await run('retry', (message) => {
      deliveries.push(message.deliveryCount);
      return message.deliveryCount < 2 ? Promise.reject(new Error('transient')) : Promise.resolve(complete);
    });
    await send('retry', { body: { jobId: 'job-2' }, messageId: 'job-2:invoke:1' });
    // Abandoned, not expired: three deliveries long before one 30 s lock could run out.
    await expect.poll(() => deliveries, { timeout: 5_000 }).toEqual([0, 1, 2]);
    await expect.poll(() => counts('retry')).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
    expect(logger.lines.filter((l) => l.event === 'queue.handler_failed')).toHaveLength(2);
  });

  test('autoCompleteMessages false: a throw leaves the message locked until its lock expires', async () => {
    const deliveries: number[] = [];
    const fromHostJson = readHostSettings();
    host = await startDevHost({
      definitions: [
        {
          kind: 'serviceBusQueue',
          name: 'on-manual',
          queueName: q('manual'),
          handler: (message) => (deliveries.push(message.deliveryCount), Promise.reject(new Error('boom'))),
        },
      ],
      port: 0,
      serviceBusConnectionString: emulator.connectionString,
      hostSettings: {
        ...fromHostJson,
        serviceBus: { ...fromHostJson.serviceBus, autoCompleteMessages: false },
      },
      log: memoryLogger(),
      queueListener: listener,
    });
    await send('manual', { body: 'x', messageId: 'manual-1' });
    await expect.poll(() => deliveries).toEqual([0]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deliveries).toEqual([0]);
    expect(counts('manual')).toMatchObject({ active: 0, locked: 1 });
  });

  test('runs at most maxConcurrentCalls handlers at once', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    await run(
      'concurrency',
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running -= 1;
        done += 1;
        return complete;
      },
      { concurrency: 2 },
    );
    await send('concurrency', ...Array.from({ length: 8 }, (_, i) => ({ body: { i }, messageId: `c-${i}` })));
    await expect.poll(() => done, { timeout: 10_000 }).toBe(8);
    expect(peak).toBe(2);
  });

  test('close() waits for a running handler, whose message is then completed', async () => {
    let release: (() => void) | undefined;
    const { host: own } = await run('drain', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return complete;
    });
    await send('drain', { body: 'x', messageId: 'drain-1' });
    await expect.poll(() => release).toBeDefined();
    const closing = own.close();
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    release!();
    await closing;
    expect(counts('drain')).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
  });

  test('close() abandons the message of a handler that outlives the grace period', async () => {
    let started = false;
    const never = () => {
      started = true;
      return new Promise<QueueOutcome>(() => {});
    };
    const { host: own, logger } = await run('stuck', never, { graceMs: 200 });
    await send('stuck', { body: 'x', messageId: 'stuck-1' });
    await expect.poll(() => started).toBe(true);
    await own.close();
    expect(counts('stuck')).toMatchObject({ active: 1, locked: 0 });
    expect(logger.lines.some((l) => l.event === 'queue.shutdown_abandoning')).toBe(true);
    const receiver = client.createReceiver(q('stuck'), { receiveMode: 'receiveAndDelete' });
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await receiver.close();
    // Abandoned, so counted as a delivery (AMQP header 1 = second delivery).
    expect(again?.deliveryCount).toBe(1);
  });
});

test.each(LISTENERS)(
  'receivers %s: a lost connection is logged, the host stays up and the SDK reconnects',
  async (mode) => {
    const own = await startServiceBusEmulator({ queues: [{ name: 'flaky', lockDuration: 'PT30S' }] });
    const port = own.port;
    const received: unknown[] = [];
    const logger = memoryLogger();
    host = await startDevHost({
      definitions: [
        {
          kind: 'serviceBusQueue',
          name: 'on-flaky',
          queueName: 'flaky',
          handler: (m) => (received.push(m.body), Promise.resolve(complete)),
        },
      ],
      port: 0,
      serviceBusConnectionString: own.connectionString,
      hostSettings: settings(1),
      log: logger,
      queueListener: mode,
    });
    await own.close();
    await expect
      .poll(() => logger.lines.some((l) => l.event === 'queue.receiver_error'), { timeout: 10_000 })
      .toBe(true);

    expect((await fetch(`${host.url}/api/anything`)).status).toBe(404);

    const restarted = await startServiceBusEmulator({
      port,
      queues: [{ name: 'flaky', lockDuration: 'PT30S' }],
    });
    try {
      const sender = new ServiceBusClient(restarted.connectionString);
      await sender.createSender('flaky').sendMessages({ body: 'after restart', messageId: 'r-1' });
      await sender.close();
      await expect.poll(() => received, { timeout: 15_000 }).toEqual(['after restart']);
      // No secret in any log line: the connection string's key never appears.
      const key = /SharedAccessKey=([^;]+)/.exec(restarted.connectionString)![1]!;
      expect(JSON.stringify(logger.lines)).not.toContain(key);
    } finally {
      await host.close();
      host = undefined;
      await restarted.close();
    }
  },
  30_000,
);

test.each(LISTENERS)(
  'receivers %s: a connection string the SDK refuses fails start-up clearly',
  async (mode) => {
    const start = startDevHost({
      definitions: [
        {
          kind: 'serviceBusQueue',
          name: 'on-nowhere',
          queueName: 'nowhere',
          handler: () => Promise.resolve(complete),
        },
      ],
      port: 0,
      serviceBusConnectionString: 'this is not a connection string',
      hostSettings: settings(1),
      log: memoryLogger(),
      queueListener: mode,
    });
    await expect(start).rejects.toThrow(/connection string/i);
  },
);
