/**
 * Main-thread side of a Functions host instance on a worker thread (host-worker.ts): starts it, reads
 * its invocation counts, and stops it. Stopping asks the instance to close its dev host (running
 * handlers finish within the grace time, or their messages are abandoned for another instance) and
 * waits for the thread to end; a thread that does not end in time is terminated, so nothing hangs.
 */
import type { EventLoopUtilization } from 'node:perf_hooks';
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
  /** The worker's OS thread id where known (Linux), for per-thread CPU time in benchmarks. */
  readonly osThreadId?: number;
  /** Finished invocations per queue on this instance. */
  invocations(): Record<string, number>;
  /** The worker's event loop busy/idle time since it started (Worker.performance). */
  eventLoopUtilization(): EventLoopUtilization;
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

  let osThreadId: number | undefined;
  try {
    osThreadId = await startup(worker, exited, options.startTimeoutMs ?? 30_000);
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
    // Closed: anything still holding the thread is a timer of a dropped connection's client (a
    // settlement awaiting an acknowledgement that cannot come keeps it up to the 60 s try timeout).
    // The instance has closed what it owns, so the thread is ended rather than waited for.
    const ending = answered ? setTimeout(() => void worker.terminate(), 1_000) : undefined;
    await exited;
    clearTimeout(timer);
    clearTimeout(ending);
    if (answered?.error) throw new Error(`Host instance ${options.instance} closed with ${answered.error}`);
    if (!answered && failure) throw new Error(`Host instance ${options.instance} failed: ${failure}`);
  };
  return {
    instance: options.instance,
    ...(osThreadId === undefined ? {} : { osThreadId }),
    invocations: () => readInvocations(options.queueNames, counters),
    eventLoopUtilization: () => worker.performance.eventLoopUtilization(),
    close: () => (closed ??= close()),
  };
}

/** Resolves with the worker's OS thread id (when it has one) once it is ready. */
function startup(worker: Worker, exited: Promise<number>, timeoutMs: number): Promise<number | undefined> {
  return new Promise<number | undefined>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Host instance thread did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (outcome: { error: Error } | { osThreadId: number | undefined }) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.osThreadId);
    };
    const onMessage = (message: HostStartupMessage) =>
      settle(
        message.type === 'ready'
          ? { osThreadId: message.osThreadId }
          : { error: new Error(`Host instance failed to start: ${message.message}`) },
      );
    const onError = (error: Error) => settle({ error });
    worker.on('message', onMessage);
    worker.on('error', onError);
    void exited.then((code) =>
      settle({ error: new Error(`Host instance thread exited with code ${code} while starting`) }),
    );
  });
}
