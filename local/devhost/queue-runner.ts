/**
 * One Service Bus queue trigger: a peek-lock receiver on the queue, `subscribe()` with host.json's
 * concurrency and lock renewal, and settlement from the handler's outcome, as the Functions host does:
 * complete -> completeMessage; deadLetter -> deadLetterMessage with reason and description; a throw ->
 * abandonMessage (delivery count + 1) when autoCompleteMessages is on, else the lock is left to expire.
 */
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { QueueFunctionDefinition, QueueOutcome } from '../../functions/definitions.js';
import type { ServiceBusHostSettings } from './host-settings.js';
import { createInvocationContext, invocationTraceParent } from './invocation.js';
import type { DevHostLogger } from './logger.js';
import { describeError } from './logger.js';
import { fromServiceBusReceivedMessage, toTriggerMetadata } from './queue-message.js';

export interface QueueRunnerOptions {
  readonly client: ServiceBusClient;
  readonly definition: QueueFunctionDefinition;
  readonly settings: ServiceBusHostSettings;
  readonly logger: DevHostLogger;
}

export interface QueueRunner {
  readonly queueName: string;
  /** Messages whose handler is running now. */
  inFlight(): number;
  /**
   * Stops taking messages, waits up to `graceMs` for running handlers, abandons the messages of those
   * still running (another receiver gets them; their late settlement is skipped), then closes the link.
   */
  close(graceMs: number): Promise<void>;
}

function isOutcome(value: unknown): value is QueueOutcome {
  const settle = (value as { settle?: unknown } | null)?.settle;
  return settle === 'complete' || settle === 'deadLetter';
}

export function startQueueRunner(options: QueueRunnerOptions): QueueRunner {
  const { client, definition, settings, logger } = options;
  const queueName = definition.queueName;
  const receiver: ServiceBusReceiver = client.createReceiver(queueName, {
    receiveMode: 'peekLock',
    maxAutoLockRenewalDurationInMs: settings.maxAutoLockRenewalDurationMs,
  });
  const running = new Map<ServiceBusReceivedMessage, Promise<void>>();
  /** Messages the host already gave back at shutdown: a handler finishing later must not settle them. */
  const released = new Set<ServiceBusReceivedMessage>();
  let closing = false;

  async function settle(message: ServiceBusReceivedMessage, action: string, settleCall: () => Promise<void>) {
    if (released.has(message)) return;
    try {
      await settleCall();
    } catch (error) {
      // Typically MessageLockLost: the lock expired and the message is already back on the queue.
      logger.warn('queue.settle_failed', {
        queue: queueName,
        messageId: String(message.messageId),
        action,
        ...describeError(error),
      });
    }
  }

  async function invoke(message: ServiceBusReceivedMessage): Promise<void> {
    const started = performance.now();
    const queueMessage = fromServiceBusReceivedMessage(message);
    const properties = queueMessage.applicationProperties;
    const context = createInvocationContext({
      functionName: definition.name,
      traceParent: invocationTraceParent(properties['traceparent']),
      traceState: typeof properties['tracestate'] === 'string' ? properties['tracestate'] : undefined,
      triggerMetadata: toTriggerMetadata(queueMessage),
      logger,
    });
    const fields = {
      functionName: definition.name,
      invocationId: context.invocationId,
      queue: queueName,
      messageId: queueMessage.messageId,
      deliveryCount: queueMessage.deliveryCount,
    };
    const finished = (outcome: string) =>
      logger.info('queue.message', {
        ...fields,
        outcome,
        durationMs: Math.round(performance.now() - started),
      });

    let outcome: unknown;
    try {
      outcome = await definition.handler(queueMessage, context);
      if (!isOutcome(outcome)) throw new TypeError('Handler returned no queue outcome');
    } catch (error) {
      logger.error('queue.handler_failed', { ...fields, ...describeError(error) });
      if (settings.autoCompleteMessages)
        await settle(message, 'abandon', () => receiver.abandonMessage(message));
      return finished(settings.autoCompleteMessages ? 'abandoned' : 'lock_left_to_expire');
    }
    if (outcome.settle === 'complete') {
      await settle(message, 'complete', () => receiver.completeMessage(message));
      return finished('completed');
    }
    const { reason, description } = outcome;
    await settle(message, 'deadLetter', () =>
      receiver.deadLetterMessage(message, {
        deadLetterReason: reason,
        deadLetterErrorDescription: description,
      }),
    );
    logger.warn('queue.dead_lettered', { ...fields, reason });
    return finished('deadLettered');
  }

  const subscription = receiver.subscribe(
    {
      processMessage: async (message) => {
        if (closing) {
          // Arrived while stopping: hand it straight back rather than start work we will not finish.
          await settle(message, 'abandon', () => receiver.abandonMessage(message));
          return;
        }
        const work = invoke(message);
        running.set(message, work);
        try {
          await work;
        } finally {
          running.delete(message);
        }
      },
      // The SDK retries receive errors (connection loss included) by itself: log and keep going.
      processError: async ({ error, errorSource }) => {
        logger.warn('queue.receiver_error', { queue: queueName, errorSource, ...describeError(error) });
        return Promise.resolve();
      },
    },
    // Settlement is ours, from the handler's outcome; the SDK grants maxConcurrentCalls credits.
    { autoCompleteMessages: false, maxConcurrentCalls: settings.maxConcurrentCalls },
  );

  return {
    queueName,
    inFlight: () => running.size,
    async close(graceMs) {
      closing = true;
      await subscription.close();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
      );
      const result = await Promise.race([Promise.allSettled([...running.values()]), timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        const stuck = [...running.keys()];
        logger.warn('queue.shutdown_abandoning', { queue: queueName, messages: stuck.length });
        for (const message of stuck) {
          await settle(message, 'abandon', () => receiver.abandonMessage(message));
          released.add(message);
        }
      }
      await receiver.close();
    },
  };
}
