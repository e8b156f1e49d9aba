/**
 * Webhook routes for tenants: register, list, read, rotate the secret, re-enable, read attempts, replay.
 * Each is parse -> use case -> response; replays publish to the `deliver` queue.
 */
import { NotFoundError } from '../../shared/errors/index.js';
import { EndpointIdSchema, JobIdSchema } from '../../shared/jobs/ids.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import { toDeliveryOutbound } from '../../shared/pipeline/deliver.js';
import type { DeliveryMessage } from '../../shared/webhooks/delivery-message.js';
import {
  enableEndpoint,
  getEndpoint,
  listEndpoints,
  registerEndpoint,
  rotateSecret,
} from '../../shared/webhooks/endpoints.js';
import { replayFailedSince, replayJob } from '../../shared/webhooks/replay.js';
import { json, pathParam, readJsonBody, tenantRoute, type AuthenticatedScope } from './context.js';
import { AttemptsQuerySchema, ReplayFailedSchema, ReplayJobSchema } from './webhooks-docs.js';

function endpointLocation(scope: AuthenticatedScope, endpointId: string): string {
  return new URL(
    `/api/v1/webhooks/endpoints/${encodeURIComponent(endpointId)}`,
    scope.services.config.PUBLIC_BASE_URL,
  ).toString();
}

/** Rotate and replay take an optional body: none at all means "defaults". */
async function optionalJsonBody(scope: AuthenticatedScope): Promise<unknown> {
  const length = scope.request.headers.get('content-length');
  const chunked = scope.request.headers.has('transfer-encoding');
  if (!chunked && (length === null || length === '0')) return {};
  return (await readJsonBody(scope)).value;
}

async function publishReplays(scope: AuthenticatedScope, messages: readonly DeliveryMessage[]) {
  for (const message of messages) {
    await scope.services.publisher.send(toDeliveryOutbound(message, 1, scope.trace));
  }
  return json(202, {
    replayed: messages.length,
    deliveries: messages.map((m) => ({
      deliveryId: m.deliveryId,
      endpointId: m.endpointId,
      webhookId: m.webhookId,
    })),
  });
}

export const registerWebhookEndpoint = tenantRoute(async (scope) => {
  const { value } = await readJsonBody(scope);
  const { endpoint, secret } = await registerEndpoint(
    scope.services.webhooks,
    scope.principal.tenantId,
    value,
  );
  // The secret is shown this once; only its encrypted form is stored.
  return json(201, { ...endpoint, secret }, { location: endpointLocation(scope, endpoint.id) });
});

export const listWebhookEndpoints = tenantRoute(async (scope) => {
  const endpoints = await listEndpoints(scope.services.webhooks, scope.principal.tenantId);
  return json(200, { endpoints });
});

export const getWebhookEndpoint = tenantRoute(async (scope) => {
  const endpoint = await getEndpoint(
    scope.services.webhooks,
    scope.principal.tenantId,
    pathParam(scope, 'id', EndpointIdSchema),
  );
  return json(200, endpoint);
});

export const rotateWebhookSecret = tenantRoute(async (scope) => {
  const endpointId = pathParam(scope, 'id', EndpointIdSchema);
  const body = await optionalJsonBody(scope);
  const { endpoint, secret } = await rotateSecret(
    scope.services.webhooks,
    scope.principal.tenantId,
    endpointId,
    body,
  );
  return json(200, { ...endpoint, secret });
});

export const enableWebhookEndpoint = tenantRoute(async (scope) => {
  const endpoint = await enableEndpoint(
    scope.services.webhooks,
    scope.principal.tenantId,
    pathParam(scope, 'id', EndpointIdSchema),
  );
  return json(200, endpoint);
});

export const listWebhookAttempts = tenantRoute(async (scope) => {
  const runtime = scope.services.webhooks;
  const endpointId = pathParam(scope, 'id', EndpointIdSchema);
  const query = parseOrThrow(
    AttemptsQuerySchema,
    Object.fromEntries(scope.request.query.entries()),
    'The query',
  );
  // 404 for an unknown (or another tenant's) endpoint rather than an empty list.
  await getEndpoint(runtime, scope.principal.tenantId, endpointId);
  const found = await runtime.store.listAttempts(scope.principal.tenantId, endpointId, query);
  return json(200, {
    attempts: found.map(({ kind: _kind, tenantId: _tenant, ttl: _ttl, ...attempt }) => attempt),
  });
});

export const replayFailedWebhooks = tenantRoute(async (scope) => {
  const endpointId = pathParam(scope, 'id', EndpointIdSchema);
  const { since } = parseOrThrow(ReplayFailedSchema, (await readJsonBody(scope)).value, 'The body');
  const messages = await replayFailedSince(
    scope.services.webhooks,
    scope.principal.tenantId,
    endpointId,
    new Date(since),
  );
  return publishReplays(scope, messages);
});

export const replayJobWebhook = tenantRoute(async (scope) => {
  const jobId = pathParam(scope, 'jobId', JobIdSchema);
  const body = parseOrThrow(ReplayJobSchema, await optionalJsonBody(scope), 'The body');
  const messages = await replayJob(scope.services.webhooks, scope.principal.tenantId, jobId, body);
  if (messages.length === 0) throw new NotFoundError(`No webhook event recorded for job ${jobId}`);
  return publishReplays(scope, messages);
});
