/**
 * The shared shape of every queue-triggered stage: resolve a claim check, validate the body, run the
 * use case, and map the result onto a settlement. Errors are mapped here, in one place:
 * - PoisonMessageError / unparseable and untied to a job -> dead-letter with DeadLetterReason;
 * - anything else thrown -> abandon (the message returns with delivery count + 1).
 */
import type { InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { PoisonMessageError } from '../../shared/errors/index.js';
import { checkOut } from '../../shared/messaging/claim-check.js';
import type { StageName } from '../../shared/messaging/stage-messages.js';
import { errorFields } from '../../shared/telemetry/logger.js';
import { toFieldIssues } from '../../shared/pipeline/validation.js';
import type { QueueFunctionDefinition, QueueMessage, QueueOutcome } from '../definitions.js';
import type { AppServices } from '../app-services.js';
import { getServices } from '../services.js';
import { tracedMessage } from './traced-message.js';

export interface StageInput<T> {
  readonly services: AppServices;
  readonly body: T;
  readonly message: QueueMessage;
  readonly traceparent?: string;
}

export function deadLetter(reason: string, description: string): QueueOutcome {
  return { settle: 'deadLetter', reason, description: description.slice(0, 1024) };
}

export function stageTrigger<T>(
  stage: StageName,
  schema: z.ZodType<T>,
  run: (input: StageInput<T>) => Promise<void>,
): QueueFunctionDefinition['handler'] {
  return (message: QueueMessage, _context: InvocationContext): Promise<QueueOutcome> =>
    tracedMessage(stage, message, (traceparent) => handle(stage, schema, run, message, traceparent));
}

async function handle<T>(
  stage: StageName,
  schema: z.ZodType<T>,
  run: (input: StageInput<T>) => Promise<void>,
  message: QueueMessage,
  traceparent: string | undefined,
): Promise<QueueOutcome> {
  const services = await getServices();
  const log = services.logger.child({
    stage,
    messageId: message.messageId,
    deliveryCount: message.deliveryCount,
  });
  const body = await checkOut(services.payloads, message.body);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problem = toFieldIssues(parsed.error)
      .slice(0, 5)
      .map((issue) => `${issue.field}: ${issue.message}`)
      .join('; ');
    log.error('message.invalid', { problem });
    // Our own stages wrote this message, so only a bug or a foreign sender gets here: keep it for a person.
    return deadLetter('InvalidStageMessage', `The ${stage} message does not match its schema: ${problem}`);
  }
  try {
    await run({ services, body: parsed.data, message, ...(traceparent ? { traceparent } : {}) });
    return { settle: 'complete' };
  } catch (error) {
    if (error instanceof PoisonMessageError) {
      log.error('message.dead_lettered', { reason: error.deadLetterReason });
      return deadLetter(error.deadLetterReason, error.detail);
    }
    log.warn('message.abandoned', errorFields(error));
    throw error;
  }
}
