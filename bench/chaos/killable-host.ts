/**
 * One more Functions host instance that can be killed: the same worker-thread instance the stack's
 * `hostInstances` starts (local/threads/host-worker.ts), but started here so the run holds its Worker
 * and can `terminate()` it. Terminating is a crash, not a shutdown: handlers stop mid-await, nothing is
 * settled or abandoned, connections drop, and the messages it held come back only when their locks
 * expire. (The stack's own instances only close gracefully.)
 */
import type { Worker } from 'node:worker_threads';
import { functionDefinitions } from '../../functions/registry.js';
import type { HostStartupMessage, HostWorkerInit } from '../../local/threads/host-protocol.js';
import { invocationCounters, readInvocations } from '../../local/threads/invocation-counter.js';
import { startWorker } from '../../local/threads/worker-script.js';

export interface KillableHost {
  /** Finished invocations per queue on this instance so far. */
  invocations(): Record<string, number>;
  /** Ends the thread at once, as a crash would. */
  kill(): Promise<void>;
}

const QUEUE_NAMES = functionDefinitions.flatMap((definition) =>
  definition.kind === 'serviceBusQueue' ? [definition.queueName] : [],
);

export async function startKillableHost(
  instance: number,
  env: Readonly<Record<string, string>>,
): Promise<KillableHost> {
  const counters = invocationCounters(QUEUE_NAMES);
  const init: HostWorkerInit = { instance, env, queueNames: QUEUE_NAMES, counters };
  const worker: Worker = await startWorker('host-worker', { workerData: init });
  const ready = await new Promise<HostStartupMessage>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`host instance ${instance} exited with ${code}`)));
  });
  if (ready.type !== 'ready') {
    await worker.terminate();
    throw new Error(`host instance ${instance} did not start: ${ready.message}`);
  }
  let killed: Promise<void> | undefined;
  return {
    invocations: () => readInvocations(QUEUE_NAMES, counters),
    kill: () => (killed ??= worker.terminate().then(() => undefined)),
  };
}
