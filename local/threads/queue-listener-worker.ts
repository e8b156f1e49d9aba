/**
 * Worker thread entry: the dev host's Service Bus listener, as the Functions host receives trigger
 * messages in its own process and hands each to the language worker (over gRPC there, postMessage here).
 * One peek-lock receiver per queue, `subscribe()` with host.json's concurrency and lock renewal; a
 * message's `processMessage` stays open until the main thread asks for its settlement, so the SDK's
 * maxConcurrentCalls counts running handlers, as in-process. Started by queue-listener.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { settleOnLiveLink } from '../devhost/delivery-link.js';
import { describeError } from '../devhost/logger.js';
import { fromServiceBusReceivedMessage } from '../devhost/queue-message.js';
import { createTriggerClient } from '../devhost/service-bus-client.js';
import { ownOsThreadId } from './os-thread-id.js';
import type {
  ListenerEvent,
  ListenerRequest,
  QueueListenerInit,
  SettleAction,
} from './queue-listener-protocol.js';

if (!parentPort) throw new Error('queue-listener-worker must run as a worker thread');
const parent: MessagePort = parentPort;
const init = workerData as QueueListenerInit;
const post = (event: ListenerEvent) => parent.postMessage(event);

interface Held {
  readonly receiver: ServiceBusReceiver;
  readonly message: ServiceBusReceivedMessage;
  /** Ends the message's processMessage callback, freeing its concurrency slot. */
  readonly release: () => void;
}

const client = createTriggerClient({ connectionString: init.connectionString }, init.settings.clientRetry);
const held = new Map<number, Held>();
let nextToken = 1;
let stopping = false;

async function settle(entry: Held, settleAction: SettleAction): Promise<void> {
  const { receiver, message } = entry;
  try {
    await settleOnLiveLink(message, () => {
      if (settleAction.action === 'complete') return receiver.completeMessage(message);
      if (settleAction.action === 'abandon') return receiver.abandonMessage(message);
      return receiver.deadLetterMessage(message, {
        deadLetterReason: settleAction.reason,
        deadLetterErrorDescription: settleAction.description,
      });
    });
  } catch (error) {
    // Typically MessageLockLost: the lock expired and the message is already back on the queue.
    post({
      type: 'log',
      level: 'warn',
      event: 'queue.settle_failed',
      fields: {
        queue: receiver.entityPath,
        messageId: String(message.messageId),
        action: settleAction.action,
        ...describeError(error),
      },
    });
  }
}

/** Settles a held message once: a settle after a release (or twice) finds nothing and does nothing. */
async function settleHeld(token: number, settleAction: SettleAction): Promise<void> {
  const entry = held.get(token);
  if (!entry) return;
  held.delete(token);
  await settle(entry, settleAction);
  entry.release();
}

const receivers = init.queueNames.map((queue) => {
  const receiver = client.createReceiver(queue, {
    receiveMode: 'peekLock',
    maxAutoLockRenewalDurationInMs: init.settings.maxAutoLockRenewalDurationMs,
  });
  const subscription = receiver.subscribe(
    {
      processMessage: async (message) => {
        if (stopping) {
          // Arrived while stopping: hand it straight back rather than start work nobody will finish.
          await settle({ receiver, message, release: () => undefined }, { action: 'abandon' });
          return;
        }
        const token = nextToken++;
        const settled = new Promise<void>((release) => held.set(token, { receiver, message, release }));
        post({ type: 'message', token, queue, message: fromServiceBusReceivedMessage(message) });
        await settled;
      },
      // The SDK retries receive errors (connection loss included) by itself: log and keep going.
      processError: ({ error, errorSource }) => {
        post({
          type: 'log',
          level: 'warn',
          event: 'queue.receiver_error',
          fields: { queue, errorSource, ...describeError(error) },
        });
        return Promise.resolve();
      },
    },
    // Settlement comes from the handler's outcome; the SDK grants maxConcurrentCalls credits.
    { autoCompleteMessages: false, maxConcurrentCalls: init.settings.maxConcurrentCalls },
  );
  return { receiver, subscription };
});

parent.on('message', (request: ListenerRequest) => {
  switch (request.type) {
    case 'settle':
      void settleHeld(request.token, request).then(() => post({ type: 'settled', token: request.token }));
      return;
    case 'stop':
      stopping = true;
      void Promise.all(receivers.map(({ subscription }) => subscription.close())).then(() =>
        post({ type: 'stopped' }),
      );
      return;
    case 'release':
      void Promise.all(request.tokens.map((token) => settleHeld(token, { action: 'abandon' }))).then(() =>
        post({ type: 'released' }),
      );
      return;
    case 'close':
      void close();
      return;
  }
});

async function close(): Promise<void> {
  for (const entry of held.values()) entry.release();
  held.clear();
  await Promise.all(receivers.map(({ receiver }) => receiver.close().catch(() => undefined)));
  await client.close().catch(() => undefined);
  post({ type: 'closed' });
  parent.close();
}

const osThreadId = ownOsThreadId();
post({ type: 'ready', ...(osThreadId === undefined ? {} : { osThreadId }) });
