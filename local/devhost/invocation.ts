/**
 * A real `InvocationContext` for each call, as the Functions runtime builds one: a fresh invocation id,
 * the function name, a log handler, and W3C trace context for the host's span of this invocation.
 */
import { randomUUID } from 'node:crypto';
import { randomHex } from '../../shared/telemetry/random-hex.js';
import type { LogLevel, TriggerMetadata } from '@azure/functions';
import { InvocationContext } from '../../functions/azure-functions.js';
import type { DevHostLogger } from './logger.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

/**
 * The traceparent the function sees: a child span of the caller's trace when it sent a valid W3C
 * `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header), else a new trace, as the
 * Functions host starts its own activity for every invocation.
 */
export function invocationTraceParent(incoming: unknown): string {
  const match = typeof incoming === 'string' ? TRACEPARENT.exec(incoming.trim().toLowerCase()) : null;
  const traceId = match?.[1];
  const valid = traceId !== undefined && !ALL_ZERO.test(traceId) && !ALL_ZERO.test(match?.[2] ?? '0');
  const spanId = randomHex(8);
  return valid ? `00-${traceId}-${spanId}-${match?.[3] ?? '01'}` : `00-${randomHex(16)}-${spanId}-01`;
}

export interface InvocationInit {
  readonly functionName: string;
  readonly traceParent: string;
  readonly traceState?: string | undefined;
  readonly triggerMetadata?: TriggerMetadata;
  readonly logger: DevHostLogger;
}

// JSON.stringify turns an Error into "{}": keep its name and message (not its stack) instead.
function formatArgument(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  return JSON.stringify(arg) ?? String(arg);
}

/** `context.log(...)` lines go to the host logger tagged with the function, invocation and trace. */
export function createInvocationContext(init: InvocationInit): InvocationContext {
  const invocationId = randomUUID();
  const tags = { functionName: init.functionName, invocationId, traceparent: init.traceParent };
  const logHandler = (level: LogLevel, ...args: unknown[]) => {
    const message = args.map(formatArgument).join(' ');
    switch (level) {
      case 'trace':
      case 'debug':
        return init.logger.debug('function.log', { ...tags, message });
      case 'information':
        return init.logger.info('function.log', { ...tags, message });
      case 'warning':
        return init.logger.warn('function.log', { ...tags, message });
      case 'error':
      case 'critical':
        return init.logger.error('function.log', { ...tags, message });
      case 'none':
        return undefined;
    }
  };
  return new InvocationContext({
    invocationId,
    functionName: init.functionName,
    logHandler,
    traceContext: { traceParent: init.traceParent, traceState: init.traceState, attributes: {} },
    ...(init.triggerMetadata ? { triggerMetadata: init.triggerMetadata } : {}),
  });
}
