/**
 * The `batch.*` webhook events: one when a batch finishes, delivered like job events (one `deliver`
 * message per subscribed endpoint, signed, retried, recorded: shared/webhooks/delivery.ts). The payload
 * has the Standard Webhooks shape of the job events, `{ type, timestamp, data }`, with the Batch object's
 * fields a consumer acts on (status, counts, the output and error file ids).
 */
import { type BatchEventType } from '../webhooks/batch-event-types.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import { publisherScheduler, type DeliverStageDeps } from '../pipeline/deliver.js';
import { receives, toDeliveryMessage } from '../webhooks/delivery.js';
import { webhookIdFor } from '../webhooks/events.js';
import { deliveryIdFor } from '../webhooks/ids.js';
import { toBatchObject, type BatchDocument } from './batch.js';

export function batchEventTypeOf(batch: BatchDocument): BatchEventType | undefined {
  switch (batch.status) {
    case 'completed':
      return 'batch.completed';
    case 'failed':
      return 'batch.failed';
    case 'expired':
      return 'batch.expired';
    case 'cancelled':
      return 'batch.cancelled';
    case 'validating':
    case 'in_progress':
    case 'finalizing':
    case 'cancelling':
      return undefined;
  }
}

/** The exact JSON body signed and sent; the same for every retry (stored with the delivery). */
export function batchEventPayload(batch: BatchDocument, type: BatchEventType): string {
  const view = toBatchObject(batch);
  const at = view.completed_at ?? view.failed_at ?? view.expired_at ?? view.cancelled_at ?? view.created_at;
  return JSON.stringify({
    type,
    timestamp: new Date(at * 1000).toISOString(),
    data: {
      batchId: batch.id,
      status: batch.status,
      input_file_id: view.input_file_id,
      output_file_id: view.output_file_id,
      error_file_id: view.error_file_id,
      request_counts: view.request_counts,
      errors: view.errors,
      metadata: batch.metadata ?? {},
      traceId: batch.traceId,
    },
  });
}

/**
 * Plans and sends the batch's event to every enabled endpoint of the tenant subscribed to its type.
 * Idempotent: the webhook id derives from tenant, batch and type, deliveries are ensured (an existing one
 * is reused, a delivered one skipped), and the messages' ids from the delivery.
 */
export async function emitBatchEvent(
  deps: DeliverStageDeps,
  batch: BatchDocument,
  trace: TraceContext,
): Promise<number> {
  const type = batchEventTypeOf(batch);
  if (!type) return 0;
  const targets = (await deps.store.listEndpoints(batch.tenantId)).filter((endpoint) =>
    receives(endpoint, type),
  );
  if (targets.length === 0) return 0;
  const webhookId = webhookIdFor(batch.tenantId, batch.id, type);
  const payload = batchEventPayload(batch, type);
  const now = new Date(deps.clock()).toISOString();
  const scheduler = publisherScheduler(deps.publisher, deps.clock, trace);
  let sent = 0;
  for (const endpoint of targets) {
    const delivery = await deps.store.ensureDelivery({
      id: deliveryIdFor(endpoint.id, webhookId),
      kind: 'delivery',
      tenantId: batch.tenantId,
      endpointId: endpoint.id,
      webhookId,
      jobId: batch.id,
      eventType: type,
      payload,
      status: 'pending',
      attempts: 0,
      replays: 0,
      createdAt: now,
      updatedAt: now,
    });
    if (delivery.status === 'delivered') continue;
    await scheduler.schedule(toDeliveryMessage(delivery), 1, 0);
    sent += 1;
  }
  return sent;
}
