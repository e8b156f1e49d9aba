/**
 * One Service Bus queue trigger received on this thread: a peek-lock receiver on the queue, `subscribe()`
 * with host.json's concurrency and lock renewal, each message run and settled by invokeQueueFunction
 * (queue-invocation.ts) through the receiver. (queue-listener.ts receives on a thread of its own instead.)
 */
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import type { QueueFunctionDefinition } from '../../functions/definitions.js';
import type { ServiceBusHostSettings } from './host-settings.js';
import { CLOSE_WITHIN_MS, closeWithin } from '../../shared/messaging/bounded-close.js';
import { settleOnLiveLink } from './delivery-link.js';
import { invokeQueueFunction, type MessageSettlement } from './queue-invocation.js';
import type { DevHostLogger } from './logger.js';
import { describeError } from './logger.js';
import { fromServiceBusReceivedMessage } from './queue-message.js';

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
      await settleOnLiveLink(message, settleCall);
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

  const settlementOf = (message: ServiceBusReceivedMessage): MessageSettlement => ({
    complete: () => settle(message, 'complete', () => receiver.completeMessage(message)),
    abandon: () => settle(message, 'abandon', () => receiver.abandonMessage(message)),
    deadLetter: (reason, description) =>
      settle(message, 'deadLetter', () =>
        receiver.deadLetterMessage(message, {
          deadLetterReason: reason,
          deadLetterErrorDescription: description,
        }),
      ),
  });
  const invocation = { definition, settings, logger };
  const bounded = (closing: Promise<void>, what: string, ms = CLOSE_WITHIN_MS) =>
    closeWithin(
      closing,
      (outcome) => logger.warn('queue.close_abandoned', { queue: queueName, what, outcome }),
      ms,
    );
  const invoke = (message: ServiceBusReceivedMessage) =>
    invokeQueueFunction(invocation, fromServiceBusReceivedMessage(message), settlementOf(message));

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
      const linkAlive = await bounded(subscription.close(), 'subscription');
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
      // After a wedged subscription close, the receiver's would wait the same way: not waited for.
      await bounded(receiver.close(), 'receiver', linkAlive ? CLOSE_WITHIN_MS : 0);
    },
  };
}
