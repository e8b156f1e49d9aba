/**
 * Per-instance invocation counts: which host instance ran how many messages of each queue. The dev host
 * logs one `queue.message` event per finished invocation (queue-runner.ts); a logger wrapper counts those
 * into an Int32Array before passing the event on, whatever the log level. On a worker thread the array
 * sits on a SharedArrayBuffer, so the main thread reads the counts without a message round trip.
 */
import type { DevHostLogger } from '../devhost/index.js';

export function invocationCounters(queueNames: readonly string[]): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * queueNames.length);
}

export function countingLogger(
  logger: DevHostLogger,
  queueNames: readonly string[],
  counters: SharedArrayBuffer,
): DevHostLogger {
  const counts = new Int32Array(counters);
  const slot = new Map(queueNames.map((name, index) => [name, index]));
  return {
    debug: (event, fields) => logger.debug(event, fields),
    info: (event, fields) => {
      if (event === 'queue.message') {
        const index = slot.get(String(fields?.queue));
        if (index !== undefined) Atomics.add(counts, index, 1);
      }
      logger.info(event, fields);
    },
    warn: (event, fields) => logger.warn(event, fields),
    error: (event, fields) => logger.error(event, fields),
  };
}

/** Finished invocations per queue, as counted so far. */
export function readInvocations(
  queueNames: readonly string[],
  counters: SharedArrayBuffer,
): Record<string, number> {
  const counts = new Int32Array(counters);
  return Object.fromEntries(queueNames.map((name, index) => [name, Atomics.load(counts, index)]));
}
