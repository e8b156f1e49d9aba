/**
 * Delivery use cases: plan one delivery per subscribed endpoint when a job event happens, make one attempt,
 * and decide what next. Standard Webhooks status handling: 2xx success; 3xx failure (redirects are not
 * followed); 410 disables the endpoint; 429/502/504 (and 503) throttle, honouring Retry-After; anything else
 * retries on the schedule. Every attempt is recorded.
 */
import type { DeliveryDeps, WebhookDeps } from './deps.js';
import { type DeliveryMessage, type DeliveryScheduler } from './delivery-message.js';
import { activeSecrets, disableEndpoint, updateEndpoint } from './endpoints.js';
import { toWebhookPayload, webhookIdFor, type JobEvent, type WebhookEventType } from './events.js';
import { fromStatus, type TenantError } from './failures.js';
import type { WebhookResponse } from './http-client.js';
import { deliveryIdFor } from './ids.js';
import type { AttemptRecord, DeliveryRecord, DeliveryStatus, EndpointRecord } from './records.js';
import { delayBefore, parseRetryAfter } from './retry-schedule.js';
import { signWebhook } from './signing.js';

export type DeliveryOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly afterMs: number }
  | { readonly kind: 'gaveUp'; readonly reason: string }
  | { readonly kind: 'disabled'; readonly reason: string };

/** Statuses that mean "you are sending too fast / I am overloaded": their Retry-After is honoured. */
const THROTTLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Whether an endpoint is a target for an event type. Shared with the stages' subscriber check
 * (./subscribers.ts) so "skip the deliver hop" and "deliver finds no target" cannot drift apart.
 */
export function receives(endpoint: EndpointRecord, type: WebhookEventType): boolean {
  return endpoint.enabled && endpoint.eventTypes.includes(type);
}

/**
 * Records the delivery for every enabled endpoint subscribed to the event (or only the endpoint the job
 * named) and returns the messages to publish for attempt 1. Idempotent: planning the same event twice
 * reuses the stored deliveries and their exact payload, and skips ones already delivered.
 */
export async function planDeliveries(
  deps: WebhookDeps,
  event: JobEvent,
): Promise<readonly DeliveryMessage[]> {
  const endpoints = event.webhookEndpointId
    ? [(await deps.store.getEndpoint(event.tenantId, event.webhookEndpointId))?.value].filter(
        (e) => e !== undefined,
      )
    : await deps.store.listEndpoints(event.tenantId);
  const targets = endpoints.filter((e) => receives(e, event.type));
  if (targets.length === 0) return [];
  const payload = toWebhookPayload(event, {
    maxInlineBytes: deps.settings.maxInlineBytes,
    resultUrlFor: (jobId) =>
      new URL(`/api/v1/jobs/${encodeURIComponent(jobId)}`, deps.settings.publicBaseUrl).href,
  });
  const webhookId = webhookIdFor(event.tenantId, event.jobId, event.type);
  const now = new Date(deps.clock()).toISOString();
  const messages: DeliveryMessage[] = [];
  for (const endpoint of targets) {
    const delivery = await deps.store.ensureDelivery({
      id: deliveryIdFor(endpoint.id, webhookId),
      kind: 'delivery',
      tenantId: event.tenantId,
      endpointId: endpoint.id,
      webhookId,
      jobId: event.jobId,
      eventType: event.type,
      payload,
      status: 'pending',
      attempts: 0,
      replays: 0,
      createdAt: now,
      updatedAt: now,
    });
    if (delivery.status === 'delivered') continue;
    messages.push(toDeliveryMessage(delivery));
  }
  return messages;
}

export function toDeliveryMessage(delivery: DeliveryRecord): DeliveryMessage {
  return {
    kind: 'webhook.delivery',
    tenantId: delivery.tenantId,
    endpointId: delivery.endpointId,
    deliveryId: delivery.id,
    webhookId: delivery.webhookId,
    jobId: delivery.jobId,
    eventType: delivery.eventType,
    payload: delivery.payload,
    replay: delivery.replays,
  };
}

/** The tenant's words for what went wrong (failures.ts), or undefined for a success. */
function describe(response: WebhookResponse): TenantError | undefined {
  if (response.kind === 'failure') return { code: response.code, message: response.message };
  return fromStatus(response.status, response.location);
}

/** One attempt for one event and endpoint. Never sleeps: a retry is returned as a delay to schedule. */
export async function deliverEvent(
  deps: DeliveryDeps,
  message: DeliveryMessage,
  attempt: number,
): Promise<DeliveryOutcome> {
  const found = await deps.store.getEndpoint(message.tenantId, message.endpointId);
  const startedAt = new Date(deps.clock());
  if (!found) {
    const outcome = { kind: 'gaveUp', reason: 'endpoint_deleted' } as const;
    await record(deps, message, attempt, startedAt, undefined, outcome, {
      code: 'endpoint_deleted',
      message: 'The endpoint no longer exists',
    });
    return outcome;
  }
  const endpoint = found.value;
  if (!endpoint.enabled) {
    const outcome = { kind: 'disabled', reason: endpoint.disabledReason ?? 'endpoint disabled' } as const;
    await record(deps, message, attempt, startedAt, undefined, outcome, {
      code: 'endpoint_disabled',
      message: `Not sent: ${outcome.reason}`,
    });
    return outcome;
  }

  const secrets = await activeSecrets(deps.keys, endpoint, startedAt);
  const headers = signWebhook({
    id: message.webhookId,
    timestamp: startedAt,
    payload: message.payload,
    secrets,
  });
  const response = await deps.http.send({
    url: endpoint.url,
    headers: { ...headers },
    body: message.payload,
  });
  const now = new Date(deps.clock());
  const error = describe(response);
  if (response.kind === 'failure') {
    // The raw error and the address connected to are for operators; the tenant gets `error` only.
    deps.logger?.info('webhook.attempt_failed', {
      tenantId: message.tenantId,
      endpointId: message.endpointId,
      deliveryId: message.deliveryId,
      attempt,
      errorCode: response.code,
      detail: response.detail,
    });
  }

  if (error === undefined) {
    const outcome = { kind: 'delivered' } as const;
    await record(deps, message, attempt, now, response, outcome, undefined);
    await updateEndpoint(deps.store, endpoint.tenantId, endpoint.id, (current) => {
      // Skip the write when nothing tenant-visible changes: a busy endpoint would otherwise cost a write per event.
      const recent =
        current.lastSuccessAt !== undefined && now.getTime() - Date.parse(current.lastSuccessAt) < 60_000;
      if (current.failingSince === undefined && recent) return undefined;
      const { failingSince: _cleared, ...rest } = current;
      return { ...rest, lastSuccessAt: now.toISOString() };
    });
    return outcome;
  }

  const disableReason = reasonToDisable(response, endpoint.failingSince, now, deps.settings.disableAfterMs);
  if (disableReason !== undefined) {
    const outcome = { kind: 'disabled', reason: disableReason } as const;
    await record(deps, message, attempt, now, response, outcome, error);
    await disableEndpoint(deps, endpoint.tenantId, endpoint.id, disableReason, now);
    return outcome;
  }

  await updateEndpoint(deps.store, endpoint.tenantId, endpoint.id, (current) =>
    current.failingSince === undefined ? { ...current, failingSince: startedAt.toISOString() } : undefined,
  );
  const retryAfterMs =
    response.kind === 'response' && THROTTLE_STATUSES.has(response.status)
      ? parseRetryAfter(response.retryAfter, now)
      : undefined;
  const afterMs = delayBefore(attempt + 1, deps.settings.retryScheduleMs, {
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const outcome: DeliveryOutcome =
    afterMs === undefined
      ? {
          kind: 'gaveUp',
          reason: `retries exhausted after ${attempt} attempts; last error: ${error.message}`,
        }
      : { kind: 'retry', afterMs };
  await record(deps, message, attempt, now, response, outcome, error);
  return outcome;
}

function reasonToDisable(
  response: WebhookResponse,
  failingSince: string | undefined,
  now: Date,
  disableAfterMs: number,
): string | undefined {
  if (response.kind === 'response' && response.status === 410) {
    // Standard Webhooks: 410 Gone means the receiver wants no more webhooks from us.
    return `The endpoint answered 410 Gone at ${now.toISOString()}; re-enable it to resume deliveries.`;
  }
  if (response.kind === 'failure' && response.failure === 'refused') {
    return `The endpoint URL was refused at ${now.toISOString()}: ${response.message}.`;
  }
  if (failingSince !== undefined && now.getTime() - Date.parse(failingSince) >= disableAfterMs) {
    const days = Math.round((disableAfterMs / 86_400_000) * 10) / 10;
    return `Every delivery attempt failed since ${failingSince} (over ${days} days); re-enable it once the endpoint is fixed.`;
  }
  return undefined;
}

async function record(
  deps: DeliveryDeps,
  message: DeliveryMessage,
  attempt: number,
  at: Date,
  response: WebhookResponse | undefined,
  outcome: DeliveryOutcome,
  error: TenantError | undefined,
): Promise<void> {
  const replay = message.replay > 0 ? `:r${message.replay}` : '';
  const attemptRecord: AttemptRecord = {
    id: `${message.deliveryId}${replay}:${attempt}`,
    kind: 'attempt',
    tenantId: message.tenantId,
    endpointId: message.endpointId,
    deliveryId: message.deliveryId,
    webhookId: message.webhookId,
    jobId: message.jobId,
    attempt,
    at: at.toISOString(),
    ...(response?.kind === 'response' ? { status: response.status } : {}),
    latencyMs: response?.latencyMs ?? 0,
    outcome: outcome.kind,
    ...(error !== undefined ? { error: error.message, errorCode: error.code } : {}),
    ...(response?.kind === 'response' && response.bodySnippet !== ''
      ? { responseSnippet: response.bodySnippet.slice(0, 1024) }
      : {}),
    ttl: deps.settings.attemptTtlSeconds,
  };
  await deps.store.recordAttempt(attemptRecord);
  const status: DeliveryStatus =
    outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'retry' ? 'pending' : 'failed';
  const existing = await deps.store.getDelivery(message.tenantId, message.deliveryId);
  if (existing) {
    const { lastError: _previous, ...rest } = existing;
    await deps.store.saveDelivery({
      ...rest,
      status,
      attempts: existing.attempts + 1,
      updatedAt: at.toISOString(),
      ...(error !== undefined ? { lastError: error.message } : {}),
    });
  }
}

/**
 * The deliver stage's use case: attempt, then schedule the retry as a message (attempt + 1) rather than
 * sleeping. Returns the outcome for logging.
 */
export async function processDelivery(
  deps: DeliveryDeps,
  scheduler: DeliveryScheduler,
  message: DeliveryMessage,
  attempt: number,
): Promise<DeliveryOutcome> {
  const outcome = await deliverEvent(deps, message, attempt);
  if (outcome.kind === 'retry') await scheduler.schedule(message, attempt + 1, outcome.afterMs);
  return outcome;
}
