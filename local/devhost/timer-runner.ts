/**
 * Timer triggers on the dev host. Azure reads a six-field NCRONTAB; the timers this app declares run at a
 * fixed second of every N minutes, so the dev host reads exactly that form (`<second> * * * * *` or
 * `<second> *\/N * * * *`) and refuses any other at start, by name, rather than running it at the wrong
 * times. A run does not overlap the previous one of the same function, as the Functions host's
 * singleton lock for timers ensures.
 */
import type { TimerFunctionDefinition } from '../../functions/definitions.js';
import { createInvocationContext, invocationTraceParent } from './invocation.js';
import type { DevHostLogger } from './logger.js';
import { describeError } from './logger.js';

const SCHEDULE = /^(\d{1,2}) (\*|\*\/(\d{1,2})) \* \* \* \*$/;

export interface TimerRunner {
  /** Runs one timer now (tests, or an operator who does not want to wait), as its schedule would. */
  run(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Milliseconds between runs of a schedule the dev host supports. */
export function intervalOf(schedule: string, name: string): number {
  const match = SCHEDULE.exec(schedule.trim());
  const minutes = match ? Number(match[3] ?? 1) : 0;
  if (!match || Number(match[1]) > 59 || minutes < 1 || minutes > 59) {
    throw new Error(
      `Timer ${name}: the dev host runs schedules of the form "<second> */N * * * *" only, not "${schedule}"`,
    );
  }
  return minutes * 60_000;
}

export function startTimers(
  definitions: readonly TimerFunctionDefinition[],
  logger: DevHostLogger,
  intervalOverrideMs?: number,
): TimerRunner {
  const running = new Map<string, Promise<void>>();
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const run = (name: string): Promise<void> => {
    const definition = byName.get(name);
    if (!definition) return Promise.reject(new Error(`No timer function named ${name}`));
    const current = running.get(name);
    if (current) return current;
    const context = createInvocationContext({
      functionName: name,
      traceParent: invocationTraceParent(undefined),
      logger,
    });
    const started = definition
      .handler(context)
      .catch((error: unknown) => logger.error('timer.failed', { function: name, ...describeError(error) }))
      .finally(() => running.delete(name));
    running.set(name, started);
    return started;
  };
  const timers = definitions.map((definition) =>
    setInterval(
      () => void run(definition.name),
      intervalOverrideMs ?? intervalOf(definition.schedule, definition.name),
    ),
  );
  for (const timer of timers) timer.unref();
  return {
    run,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running.values());
    },
  };
}
