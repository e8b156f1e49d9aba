/**
 * One queue-triggered invocation, wherever its message was received: builds the function's context from
 * the message, runs the handler and settles from its outcome as the Functions host does: complete ->
 * complete; deadLetter -> dead-letter with reason and description; a throw -> abandon (delivery count + 1)
 * when autoCompleteMessages is on, else the lock is left to expire. Then logs `queue.message` once.
 */
import type { QueueFunctionDefinition, QueueMessage, QueueOutcome } from '../../functions/definitions.js';
import type { ServiceBusHostSettings } from './host-settings.js';
import { createInvocationContext, invocationTraceParent } from './invocation.js';
import type { DevHostLogger } from './logger.js';
import { describeError } from './logger.js';
import { toTriggerMetadata } from './queue-message.js';

/** Settles the invocation's message; each call logs its own failure (a lost lock) and never throws. */
export interface MessageSettlement {
  complete(): Promise<void>;
  abandon(): Promise<void>;
  deadLetter(reason: string, description: string): Promise<void>;
}

export interface QueueInvocation {
  readonly definition: QueueFunctionDefinition;
  readonly settings: Pick<ServiceBusHostSettings, 'autoCompleteMessages'>;
  readonly logger: DevHostLogger;
}

function isOutcome(value: unknown): value is QueueOutcome {
  const settle = (value as { settle?: unknown } | null)?.settle;
  return settle === 'complete' || settle === 'deadLetter';
}

export async function invokeQueueFunction(
  { definition, settings, logger }: QueueInvocation,
  message: QueueMessage,
  settlement: MessageSettlement,
): Promise<void> {
  const started = performance.now();
  const properties = message.applicationProperties;
  const context = createInvocationContext({
    functionName: definition.name,
    traceParent: invocationTraceParent(properties['traceparent']),
    traceState: typeof properties['tracestate'] === 'string' ? properties['tracestate'] : undefined,
    triggerMetadata: toTriggerMetadata(message),
    logger,
  });
  const fields = {
    functionName: definition.name,
    invocationId: context.invocationId,
    queue: definition.queueName,
    messageId: message.messageId,
    deliveryCount: message.deliveryCount,
  };
  const finished = (outcome: string) =>
    logger.info('queue.message', {
      ...fields,
      outcome,
      durationMs: Math.round(performance.now() - started),
    });

  let outcome: unknown;
  try {
    outcome = await definition.handler(message, context);
    if (!isOutcome(outcome)) throw new TypeError('Handler returned no queue outcome');
  } catch (error) {
    logger.error('queue.handler_failed', { ...fields, ...describeError(error) });
    if (settings.autoCompleteMessages) await settlement.abandon();
    return finished(settings.autoCompleteMessages ? 'abandoned' : 'lock_left_to_expire');
  }
  if (outcome.settle === 'complete') {
    await settlement.complete();
    return finished('completed');
  }
  await settlement.deadLetter(outcome.reason, outcome.description);
  logger.warn('queue.dead_lettered', { ...fields, reason: outcome.reason });
  return finished('deadLettered');
}
