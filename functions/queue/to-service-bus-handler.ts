/**
 * Queue definition -> the handler the Functions host calls for a Service Bus trigger. The host settles
 * the message itself: it completes it when the handler returns and abandons it when the handler throws
 * (host.json autoCompleteMessages), so a dead-letter outcome is logged with its reason, which the broker
 * will not keep, and turned into a throw.
 */
import type { ServiceBusQueueHandler } from '@azure/functions';
import type { QueueFunctionDefinition } from '../definitions.js';
import { DeadLetterRequested } from './dead-letter-requested.js';
import { fromServiceBusTrigger } from './from-service-bus-trigger.js';

export function toServiceBusHandler(definition: QueueFunctionDefinition): ServiceBusQueueHandler {
  return async (body, context) => {
    const message = fromServiceBusTrigger(body, context.triggerMetadata);
    const outcome = await definition.handler(message, context);
    if (outcome.settle === 'deadLetter') {
      context.error(
        JSON.stringify({
          event: 'message.dead_letter_requested',
          reason: outcome.reason,
          description: outcome.description,
        }),
      );
      throw new DeadLetterRequested(outcome.reason, outcome.description);
    }
  };
}
