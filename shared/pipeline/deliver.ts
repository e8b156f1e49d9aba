/**
 * The `deliver` queue's use case. Two bodies arrive there:
 * - `deliver` (shared/messaging/stage-messages.ts, sent by persist and cancel): a job event to fan out.
 *   Each subscribed endpoint gets its own `webhook.delivery` message, so endpoints retry independently.
 * - `webhook.delivery`: one attempt for one endpoint. A retry becomes a scheduled message (attempt + 1);
 *   nothing sleeps while holding the lock.
 */
import { z } from 'zod';
import { EndpointIdSchema } from '../jobs/ids.js';
import { toDeliverOutbound } from './deliver-outbound.js';
import { DeliverMessageSchema } from '../messaging/stage-messages.js';
import type { MessagePublisher, OutboundMessage } from '../messaging/publisher.js';
import type { Logger } from '../telemetry/logger.js';
import { newTrace, parseTraceparent, type TraceContext } from '../telemetry/trace-context.js';
import { planDeliveries, processDelivery, type DeliveryOutcome } from '../webhooks/delivery.js';
import type { DeliveryDeps } from '../webhooks/deps.js';
import {
  DeliveryMessageSchema,
  type DeliveryMessage,
  type DeliveryScheduler,
} from '../webhooks/delivery-message.js';
import type { Clock } from '../time/clock.js';

/** The wire body of a per-endpoint attempt: the delivery plus its attempt number (1-based). */
export const DeliveryAttemptBodySchema = DeliveryMessageSchema.extend({ attempt: z.number().int().min(1) });

export const DeliverQueueBodySchema = z.discriminatedUnion('kind', [
  DeliverMessageSchema,
  DeliveryAttemptBodySchema,
]);
export type DeliverQueueBody = z.infer<typeof DeliverQueueBodySchema>;

export interface DeliverStageDeps extends DeliveryDeps {
  readonly publisher: MessagePublisher;
  readonly logger: Logger;
}

/** The `deliver` queue message for one attempt of one endpoint's delivery. */
export function toDeliveryOutbound(
  message: DeliveryMessage,
  attempt: number,
  trace: TraceContext,
): OutboundMessage {
  const { jobId, tenantId, endpointId, eventType, replay } = message;
  return toDeliverOutbound(
    { jobId, tenantId, endpointId, eventType, replay, attempt },
    { ...message, attempt },
    trace,
  );
}

/** `DeliveryScheduler` over the platform publisher: delay 0 sends now, anything else is a scheduled message. */
export function publisherScheduler(
  publisher: MessagePublisher,
  clock: Clock,
  trace: TraceContext,
): DeliveryScheduler {
  return {
    async schedule(message, attempt, delayMs) {
      const outbound = toDeliveryOutbound(message, attempt, trace);
      if (delayMs <= 0) await publisher.send(outbound);
      else await publisher.schedule(outbound, new Date(clock() + delayMs));
    },
  };
}

export type DeliverStageResult =
  | { readonly kind: 'fannedOut'; readonly deliveries: number }
  | { readonly kind: 'attempted'; readonly outcome: DeliveryOutcome };

export async function runDeliverStage(
  deps: DeliverStageDeps,
  body: DeliverQueueBody,
  traceparent?: string,
): Promise<DeliverStageResult> {
  const trace = parseTraceparent(traceparent) ?? newTrace();
  const scheduler = publisherScheduler(deps.publisher, deps.clock, trace);
  if (body.kind === 'deliver') {
    // A fan-out aimed at one endpoint (the job named it) reaches only that endpoint.
    const event = body.endpointId ? { ...body.event, webhookEndpointId: body.endpointId } : body.event;
    if (
      event.webhookEndpointId !== undefined &&
      !EndpointIdSchema.safeParse(event.webhookEndpointId).success
    ) {
      // Submission refuses such ids now; a job accepted before that carries one no store can read. The job
      // has ended, so there is nothing to retry: say so once and complete, instead of failing ten deliveries.
      deps.logger.warn('webhook.endpoint_unusable', {
        jobId: event.jobId,
        tenantId: event.tenantId,
        endpointId: event.webhookEndpointId.slice(0, 100),
        eventType: event.type,
        traceId: trace.traceId,
      });
      return { kind: 'fannedOut', deliveries: 0 };
    }
    const messages = await planDeliveries(deps, event);
    for (const message of messages) await scheduler.schedule(message, 1, 0);
    deps.logger.info('webhook.fanned_out', {
      jobId: event.jobId,
      tenantId: event.tenantId,
      eventType: event.type,
      // A job's own endpoint that yields no delivery (deleted, disabled, not subscribed) shows up here.
      ...(event.webhookEndpointId ? { endpointId: event.webhookEndpointId } : {}),
      deliveries: messages.length,
      traceId: trace.traceId,
    });
    return { kind: 'fannedOut', deliveries: messages.length };
  }
  const { attempt, ...message } = body;
  const outcome = await processDelivery(deps, scheduler, message, attempt);
  const fields = {
    jobId: message.jobId,
    tenantId: message.tenantId,
    endpointId: message.endpointId,
    webhookId: message.webhookId,
    attempt,
    outcome: outcome.kind,
    traceId: trace.traceId,
    ...(outcome.kind === 'retry' ? { afterMs: outcome.afterMs } : {}),
    ...(outcome.kind === 'gaveUp' || outcome.kind === 'disabled' ? { reason: outcome.reason } : {}),
  };
  if (outcome.kind === 'gaveUp' || outcome.kind === 'disabled') deps.logger.warn('webhook.attempt', fields);
  else deps.logger.info('webhook.attempt', fields);
  return { kind: 'attempted', outcome };
}
