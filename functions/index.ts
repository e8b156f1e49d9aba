/**
 * Entry point for the Azure Functions host (package.json `main`): registers every definition with the
 * v4 programming model. Handlers are the same ones the local dev host runs.
 */
import type { InvocationContext } from '@azure/functions';
import { app } from './azure-functions.js';
import type { QueueFunctionDefinition, QueueMessage } from './definitions.js';
import { functionDefinitions } from './registry.js';

/** The Service Bus connection: identity-based in Azure via ServiceBusConnection__fullyQualifiedNamespace. */
const CONNECTION = 'ServiceBusConnection';

/**
 * Thrown to ask the host for a dead-letter. With the standard binding the host cannot dead-letter on our
 * behalf, so the message is abandoned and dead-lettered by the broker after maxDeliveryCount
 * (MaxDeliveryCountExceeded); our reason is in the log line written before this. See README "Known gaps".
 */
export class DeadLetterRequested extends Error {
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(`dead-letter requested: ${reason}: ${description}`);
    this.name = 'DeadLetterRequested';
  }
}

/** Service Bus trigger metadata -> QueueMessage; the dev host builds the same shape from the SDK. */
export function fromTriggerMetadata(body: unknown, context: InvocationContext): QueueMessage {
  const metadata = context.triggerMetadata ?? {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
      ? String(value)
      : undefined;
  const properties = (metadata.applicationProperties ?? metadata.userProperties ?? {}) as Record<
    string,
    unknown
  >;
  return {
    body,
    messageId: text(metadata.messageId) ?? '',
    deliveryCount: Number(metadata.deliveryCount ?? 1) - 1,
    applicationProperties: properties,
    ...(typeof metadata.contentType === 'string' ? { contentType: metadata.contentType } : {}),
    ...(typeof metadata.correlationId === 'string' ? { correlationId: metadata.correlationId } : {}),
    ...(text(metadata.enqueuedTimeUtc)
      ? { enqueuedTimeUtc: new Date(text(metadata.enqueuedTimeUtc) ?? '') }
      : {}),
    ...(text(metadata.sequenceNumber) ? { sequenceNumber: text(metadata.sequenceNumber) } : {}),
  };
}

function registerQueue(definition: QueueFunctionDefinition): void {
  app.serviceBusQueue(definition.name, {
    connection: CONNECTION,
    queueName: definition.queueName,
    handler: async (body, context) => {
      const outcome = await definition.handler(fromTriggerMetadata(body, context), context);
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
    },
  });
}

for (const definition of functionDefinitions) {
  switch (definition.kind) {
    case 'http':
      app.http(definition.name, {
        route: definition.route,
        methods: [...definition.methods],
        authLevel: 'anonymous',
        handler: definition.handler,
      });
      break;
    case 'serviceBusQueue':
      registerQueue(definition);
      break;
  }
}
