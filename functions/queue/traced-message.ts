/**
 * What every queue trigger does around its handler for telemetry: one consumer span per invocation,
 * parented on the message's trace context (so a job is one trace across the hops), and the stage's
 * metrics (duration by outcome, queue wait, dead letters). Handlers receive the span's own
 * `traceparent` to carry on in the messages they send.
 */
import { recordDeadLettered, recordQueueWait, recordStageDuration } from '../../shared/telemetry/metrics.js';
import {
  SpanKind,
  formatTraceparentOf,
  inSpan,
  parentContext,
  traceparentOfProperties,
  type Span,
} from '../../shared/telemetry/tracing.js';
import type { QueueMessage, QueueOutcome } from '../definitions.js';

export function traceparentOf(message: QueueMessage): string | undefined {
  return traceparentOfProperties(message.applicationProperties);
}

export async function tracedMessage(
  queue: string,
  message: QueueMessage,
  handle: (traceparent: string | undefined, span: Span) => Promise<QueueOutcome>,
): Promise<QueueOutcome> {
  const started = performance.now();
  if (message.enqueuedTimeUtc)
    recordQueueWait(queue, (Date.now() - message.enqueuedTimeUtc.getTime()) / 1000);
  const traceparent = traceparentOf(message);
  const { jobId, tenantId } = message.applicationProperties;
  let outcome = 'abandoned';
  try {
    return await inSpan(
      `process ${queue}`,
      {
        kind: SpanKind.CONSUMER,
        parent: parentContext(traceparent),
        attributes: {
          'messaging.system': 'servicebus',
          'messaging.operation.type': 'process',
          'messaging.destination.name': queue,
          'messaging.message.id': message.messageId,
          'messaging.servicebus.message.delivery_count': message.deliveryCount,
          ...(typeof jobId === 'string' ? { 'job.id': jobId } : {}),
          ...(typeof tenantId === 'string' ? { 'tenant.id': tenantId } : {}),
        },
      },
      async (span) => {
        const result = await handle(formatTraceparentOf(span) ?? traceparent, span);
        outcome = result.settle === 'complete' ? 'completed' : 'dead_lettered';
        if (result.settle === 'deadLetter') {
          span.setAttribute('dead_letter.reason', result.reason);
          recordDeadLettered(queue, result.reason);
        }
        return result;
      },
    );
  } finally {
    recordStageDuration(queue, outcome, (performance.now() - started) / 1000);
  }
}
