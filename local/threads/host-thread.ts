/**
 * Main-thread side of a Functions host instance on a worker thread (host-worker.ts): starts it, reads
 * its invocation counts, and stops it. Stopping asks the instance to close its dev host (running
 * handlers finish within the grace time, or their messages are abandoned for another instance) and
 * waits for the thread to end; a thread that does not end in time is terminated, so nothing hangs.
 */
import type { Worker } from 'node:worker_threads';
import type {
  HostClosedReply,
  HostCloseRequest,
  HostStartupMessage,
  HostWorkerInit,
} from './host-protocol.js';
import { invocationCounters, readInvocations } from './invocation-counter.js';
import { startWorker } from './worker-script.js';

export interface HostThreadOptions {
  readonly instance: number;
  readonly env: Readonly<Record<string, string>>;
  readonly queueNames: readonly string[];
  readonly maxConcurrentCalls?: number;
  /** Grace for running handlers at close; the dev host's 30 s by default. */
  readonly shutdownGraceMs?: number;
  /** How long start-up may take (a worker loads the platform's modules itself); 30 s by default. */
  readonly startTimeoutMs?: number;
}

export interface HostThread {
  readonly instance: number;
  /** Finished invocations per queue on this instance. */
  invocations(): Record<string, number>;
  close(): Promise<void>;
}

export async function startHostThread(options: HostThreadOptions): Promise<HostThread> {
  const counters = invocationCounters(options.queueNames);
  const init: HostWorkerInit = {
    instance: options.instance,
    env: options.env,
    queueNames: options.queueNames,
    counters,
    ...(options.maxConcurrentCalls === undefined ? {} : { maxConcurrentCalls: options.maxConcurrentCalls }),
    ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
  };
  const worker = await startWorker('host-worker', { workerData: init });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let failure: string | undefined;
  worker.on('error', (error) => (failure = String(error)));

  try {
    await startup(worker, exited, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await worker.terminate();
    throw error;
  }

  const graceMs = options.shutdownGraceMs ?? 30_000;
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const reply = new Promise<HostClosedReply | undefined>((resolve) => {
      worker.once('message', (message: HostClosedReply) => resolve(message));
      void exited.then(() => resolve(undefined));
    });
    const request: HostCloseRequest = { type: 'close' };
    worker.postMessage(request);
    // The instance's own close takes at most the grace time plus closing its clients.
    const timer = setTimeout(() => void worker.terminate(), graceMs + 10_000);
    const answered = await reply;
    await exited;
    clearTimeout(timer);
    if (answered?.error) throw new Error(`Host instance ${options.instance} closed with ${answered.error}`);
    if (!answered && failure) throw new Error(`Host instance ${options.instance} failed: ${failure}`);
  };
  return {
    instance: options.instance,
    invocations: () => readInvocations(options.queueNames, counters),
    close: () => (closed ??= close()),
  };
}

function startup(worker: Worker, exited: Promise<number>, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Host instance thread did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (error?: Error) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onMessage = (message: HostStartupMessage) =>
      settle(
        message.type === 'ready' ? undefined : new Error(`Host instance failed to start: ${message.message}`),
      );
    const onError = (error: Error) => settle(error);
    worker.on('message', onMessage);
    worker.on('error', onError);
    void exited.then((code) =>
      settle(new Error(`Host instance thread exited with code ${code} while starting`)),
    );
  });
}
