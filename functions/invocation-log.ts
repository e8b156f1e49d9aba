/**
 * Log lines where the Functions host expects them: inside an invocation, through its `InvocationContext`,
 * so the host tags each line with the invocation and its operation (in Application Insights a job's lines
 * sit under its request or message); outside one (start-up, a timer the SDK runs), on the console.
 *
 * A line written after its invocation settled (work a handler left running) goes to the console too: the
 * host warns about, and may drop, context calls after the function completed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
// Types only: the registry imports this module, and the entry's import must reach none of shared/.
import type { LogLevel, LogSink } from '../shared/telemetry/logger.js';

/** The part of `InvocationContext` this needs, so tests and the dev host can pass the real one. */
export interface InvocationLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

interface Scope {
  readonly log: InvocationLog;
  open: boolean;
}

const current = new AsyncLocalStorage<Scope>();

const isInvocationLog = (value: unknown): value is InvocationLog =>
  typeof value === 'object' &&
  value !== null &&
  (['debug', 'info', 'warn', 'error'] as const).every(
    (method) => typeof (value as Record<string, unknown>)[method] === 'function',
  );

/** Runs one invocation's handler with its context as the log destination; other values run as they are. */
export async function runInInvocation<T>(invocation: unknown, work: () => Promise<T>): Promise<T> {
  if (!isInvocationLog(invocation)) return work();
  const scope: Scope = { log: invocation, open: true };
  try {
    return await current.run(scope, work);
  } finally {
    scope.open = false;
  }
}

export function invocationLogSink(fallback: LogSink): LogSink {
  return (level: LogLevel, line: string) => {
    const scope = current.getStore();
    if (!scope?.open) return fallback(level, line);
    scope.log[level](line);
  };
}
