/**
 * Entry point for the Azure Functions host (package.json `main`): registers every definition with the
 * v4 programming model. Handlers are the same ones the local dev host runs.
 *
 * Start-up (issue 8): the v4 model indexes the functions registered while this module is imported, so
 * the registrations below run synchronously at top level, from manifest facts only. The handler modules
 * (zod, shared/, the routes) are not imported here: they load in the background right after this import
 * completes, overlapping the host's own start-up (indexing, listeners), and on first use if that failed.
 */
import type { InvocationContext } from '@azure/functions';
import { app } from './azure-functions.js';
import type { QueueFunctionDefinition, QueueMessage } from './definitions.js';
import type { PreloadReport } from './lazy-handlers.js';
import { functionDefinitions, preloadHandlers } from './registry.js';

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

/**
 * Loads every handler module once the import has returned to the host: setImmediate runs after the
 * importer has resumed (a microtask), so the preload does not count toward the import, and its file reads
 * interleave with the worker's own messages. A failure is logged, not thrown: the worker keeps serving,
 * and the first invocation of that group imports again and fails with the real error. Exported so
 * benchmarks and tests can wait for it.
 */
export const handlersPreloaded: Promise<PreloadReport> = new Promise((resolve) => {
  setImmediate(() => {
    void preloadHandlers().then((report) => {
      for (const { group, error } of report.failed) {
        console.error(
          JSON.stringify({
            event: 'functions.preload_failed',
            group,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          }),
        );
      }
      resolve(report);
    });
  });
});
