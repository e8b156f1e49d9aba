/**
 * The dev host's queue triggers with their Service Bus receivers on a listener thread
 * (queue-listener-worker.ts), as the Functions host receives in its own process and the language worker
 * only runs the function: this thread gets each message as data, runs invokeQueueFunction and asks the
 * listener to settle it. The worker's thread then spends nothing on receiving, lock renewal or settling.
 * Close mirrors the in-process runners: stop taking messages, let running handlers finish within the
 * grace time, give back the messages of those still running (their late settlement is skipped).
 */
import type { QueueFunctionDefinition, QueueMessage } from '../../functions/definitions.js';
import type { ServiceBusHostSettings } from '../devhost/host-settings.js';
import type { DevHostLogger } from '../devhost/logger.js';
import { invokeQueueFunction, type MessageSettlement } from '../devhost/queue-invocation.js';
import type {
  ListenerEvent,
  ListenerRequest,
  QueueListenerInit,
  SettleAction,
} from './queue-listener-protocol.js';
import { startWorker } from './worker-script.js';

export interface QueueListenerOptions {
  readonly connectionString: string;
  readonly definitions: readonly QueueFunctionDefinition[];
  readonly settings: ServiceBusHostSettings;
  readonly logger: DevHostLogger;
}

export interface QueueListener {
  /** The listener's OS thread id where known (Linux), for per-thread CPU time in benchmarks. */
  readonly osThreadId?: number;
  /** Messages whose handler is running now. */
  inFlight(): number;
  close(graceMs: number): Promise<void>;
}

/** A Buffer body arrives as a plain Uint8Array (structured clone); handlers get a Buffer, as in-process. */
function asReceived(message: QueueMessage): QueueMessage {
  const { body } = message;
  return body instanceof Uint8Array && !Buffer.isBuffer(body)
    ? { ...message, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) }
    : message;
}

export async function startQueueListener(options: QueueListenerOptions): Promise<QueueListener> {
  const { settings, logger } = options;
  const byQueue = new Map(options.definitions.map((definition) => [definition.queueName, definition]));
  const init: QueueListenerInit = {
    connectionString: options.connectionString,
    queueNames: [...byQueue.keys()],
    settings,
  };
  const worker = await startWorker('queue-listener-worker', { workerData: init });
  const request = (message: ListenerRequest) => worker.postMessage(message);
  const running = new Map<number, Promise<void>>();
  /** Tokens given back at shutdown: a handler finishing later must not settle them. */
  const released = new Set<number>();
  const settleReplies = new Map<number, () => void>();
  /** One-off replies (stopped, released, closed), in the order they were asked for. */
  const waiting = new Map<ListenerEvent['type'], () => void>();
  const reply = (type: 'stopped' | 'released' | 'closed') =>
    new Promise<void>((resolve) => waiting.set(type, resolve));
  let exited = false;

  const settlementOf = (token: number): MessageSettlement => {
    const settle = (action: SettleAction) =>
      released.has(token) || exited
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            settleReplies.set(token, resolve);
            request({ type: 'settle', token, ...action });
          });
    return {
      complete: () => settle({ action: 'complete' }),
      abandon: () => settle({ action: 'abandon' }),
      deadLetter: (reason, description) => settle({ action: 'deadLetter', reason, description }),
    };
  };

  const onEvent = (event: ListenerEvent) => {
    switch (event.type) {
      case 'message': {
        const definition = byQueue.get(event.queue);
        if (!definition) return;
        const work = invokeQueueFunction(
          { definition, settings, logger },
          asReceived(event.message),
          settlementOf(event.token),
        ).finally(() => running.delete(event.token));
        running.set(event.token, work);
        return;
      }
      case 'settled':
        settleReplies.get(event.token)?.();
        settleReplies.delete(event.token);
        return;
      case 'log':
        logger[event.level](event.event, event.fields);
        return;
      case 'stopped':
      case 'released':
      case 'closed':
        waiting.get(event.type)?.();
        waiting.delete(event.type);
        return;
      case 'ready':
        onReady(event.osThreadId);
        return;
    }
  };

  let onReady: (osThreadId: number | undefined) => void = () => undefined;
  // Listening before the thread says it is ready: a message it receives right away is not missed.
  worker.on('message', onEvent);
  const osThreadId = await new Promise<number | undefined>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new Error(`The queue listener thread failed to start: ${error.message}`));
    onReady = (id) => {
      worker.off('error', onError);
      resolve(id);
    };
    worker.once('error', onError);
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  worker.on('error', (error) => logger.error('queue.listener_failed', { errorMessage: error.message }));
  worker.once('exit', () => {
    // Nothing can be settled any more: the locks expire and the broker redelivers those messages.
    exited = true;
    for (const resolve of [...settleReplies.values(), ...waiting.values()]) resolve();
    settleReplies.clear();
    waiting.clear();
  });

  let closed: Promise<void> | undefined;
  const close = async (graceMs: number) => {
    if (!exited) {
      const stopped = reply('stopped');
      request({ type: 'stop' });
      await stopped;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
    );
    const result = await Promise.race([Promise.allSettled([...running.values()]), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout' && !exited) {
      const stuck = [...running.keys()];
      logger.warn('queue.shutdown_abandoning', { queues: init.queueNames.join(','), messages: stuck.length });
      for (const token of stuck) released.add(token);
      const done = reply('released');
      request({ type: 'release', tokens: stuck });
      await done;
    }
    if (!exited) {
      const done = reply('closed');
      request({ type: 'close' });
      await done;
    }
  };
  return {
    ...(osThreadId === undefined ? {} : { osThreadId }),
    inFlight: () => running.size,
    close: (graceMs) => (closed ??= close(graceMs)),
  };
}
