/**
 * Replay (Standard Webhooks, "Visibility into failures and manual retries"): resend one job's event, or
 * everything that failed for an endpoint since a time. A replay is a new delivery run of the same event:
 * same `webhook-id` and body, so a consumer that already processed it can tell.
 */
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import type { WebhookDeps } from './deps.js';
import { toDeliveryMessage } from './delivery.js';
import type { DeliveryMessage } from './delivery-message.js';
import type { DeliveryRecord } from './records.js';

async function restart(deps: WebhookDeps, delivery: DeliveryRecord): Promise<DeliveryMessage> {
  const next: DeliveryRecord = {
    ...delivery,
    status: 'pending',
    replays: delivery.replays + 1,
    updatedAt: new Date(deps.clock()).toISOString(),
  };
  await deps.store.saveDelivery(next);
  return toDeliveryMessage(next);
}

async function requireEnabled(deps: WebhookDeps, tenantId: string, endpointId: string): Promise<void> {
  const endpoint = await deps.store.getEndpoint(tenantId, endpointId);
  if (!endpoint) throw new NotFoundError(`Webhook endpoint ${endpointId} not found`);
  if (!endpoint.value.enabled) {
    throw new ConflictError(
      `Webhook endpoint ${endpointId} is disabled (${endpoint.value.disabledReason ?? 'no reason recorded'}); enable it first`,
    );
  }
}

/** Messages (attempt 1) to publish to resend a job's event, to one endpoint or all that had it. */
export async function replayJob(
  deps: WebhookDeps,
  tenantId: string,
  jobId: string,
  options: { readonly endpointId?: string } = {},
): Promise<readonly DeliveryMessage[]> {
  const deliveries = (await deps.store.deliveriesForJob(tenantId, jobId)).filter(
    (d) => options.endpointId === undefined || d.endpointId === options.endpointId,
  );
  if (deliveries.length === 0) throw new NotFoundError(`No webhook event recorded for job ${jobId}`);
  const messages: DeliveryMessage[] = [];
  for (const delivery of deliveries) {
    await requireEnabled(deps, tenantId, delivery.endpointId);
    messages.push(await restart(deps, delivery));
  }
  return messages;
}

/** Messages (attempt 1) to resend every delivery to `endpointId` that failed and was created since `since`. */
export async function replayFailedSince(
  deps: WebhookDeps,
  tenantId: string,
  endpointId: string,
  since: Date,
): Promise<readonly DeliveryMessage[]> {
  if (Number.isNaN(since.getTime())) throw new ValidationError('`since` must be an ISO 8601 time');
  await requireEnabled(deps, tenantId, endpointId);
  const failed = await deps.store.failedDeliveriesSince(tenantId, endpointId, since);
  return Promise.all(failed.map((delivery) => restart(deps, delivery)));
}
