/**
 * Endpoint use cases: register (the `whsec_` secret is returned once and only stored encrypted), list,
 * rotate with an overlap, re-enable. Tenants only ever see their own endpoints (partition = tenant).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import { newEndpointId } from '../jobs/ids.js';
import type { WebhookDeps } from './deps.js';
import { WEBHOOK_EVENT_TYPES } from './events.js';
import { decryptSecret, encryptSecret, type KeyWrapper } from './key-wrapper.js';
import { toEndpointView, type EndpointRecord, type EndpointView, type StoredSecret } from './records.js';
import { generateSecret } from './signing.js';
import { DNS_FAILED } from './failures.js';
import { checkTarget, ResolutionError, SsrfRefusedError } from './ssrf.js';
import type { WebhookStore } from './store.js';
import { WebhookUrlSchema } from './url.js';

export const RegisterEndpointSchema = z.strictObject({
  /** Normalised (url.ts): what is stored and shown is the WHATWG serialisation without a fragment. */
  url: WebhookUrlSchema,
  description: z.string().max(500).default(''),
  /** Omitted: every event type. */
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).optional(),
});
export type RegisterEndpointInput = z.input<typeof RegisterEndpointSchema>;

export const RotateSecretSchema = z.strictObject({
  /** How long the old secret keeps signing; 0 ends it now (e.g. after a leak). */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60 * 60)
    .optional(),
});

function secretContext(tenantId: string, endpointId: string, secretId: string): string {
  return `webhook-secret/${tenantId}/${endpointId}/${secretId}`;
}

async function newStoredSecret(
  keys: KeyWrapper,
  tenantId: string,
  endpointId: string,
  createdAt: Date,
): Promise<{ stored: StoredSecret; secret: string }> {
  const secret = generateSecret();
  const id = `sec_${randomUUID().replaceAll('-', '')}`;
  const encrypted = await encryptSecret(keys, secret, secretContext(tenantId, endpointId, id));
  return { secret, stored: { id, createdAt: createdAt.toISOString(), encrypted } };
}

/** Secrets that still sign at `now`, newest first (the consumer most likely holds the newest). */
export async function activeSecrets(
  keys: KeyWrapper,
  endpoint: EndpointRecord,
  now: Date,
): Promise<string[]> {
  const active = endpoint.secrets
    .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime())
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return Promise.all(
    active.map((s) => decryptSecret(keys, s.encrypted, secretContext(endpoint.tenantId, endpoint.id, s.id))),
  );
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(
      'Invalid webhook endpoint request',
      parsed.error.issues.map((i) => ({ field: i.path.join('/'), message: i.message })),
    );
  }
  return parsed.data;
}

export async function registerEndpoint(
  deps: WebhookDeps,
  tenantId: string,
  input: unknown,
): Promise<{ readonly endpoint: EndpointView; readonly secret: string }> {
  const request = parse(RegisterEndpointSchema, input);
  try {
    // Refuse internal targets up front so the tenant hears about it now, not after days of failed retries.
    await checkTarget(request.url, deps.settings.policy, deps.resolve);
  } catch (error) {
    if (error instanceof SsrfRefusedError || error instanceof ResolutionError) {
      // The tenant hears what failed in words; the resolved address (in `detail`) is for operators only.
      deps.logger?.info('webhook.registration_refused', {
        tenantId,
        detail: error instanceof SsrfRefusedError ? error.detail : error.message,
      });
      const message = error instanceof SsrfRefusedError ? error.publicMessage : DNS_FAILED.message;
      throw new ValidationError(message, [{ field: 'url', message }]);
    }
    throw error;
  }
  const now = new Date(deps.clock());
  const id = newEndpointId();
  const { stored, secret } = await newStoredSecret(deps.keys, tenantId, id, now);
  const endpoint: EndpointRecord = {
    id,
    kind: 'endpoint',
    tenantId,
    url: request.url,
    description: request.description,
    eventTypes: request.eventTypes ?? [...WEBHOOK_EVENT_TYPES],
    enabled: true,
    secrets: [stored],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await deps.store.createEndpoint(endpoint);
  return { endpoint: toEndpointView(endpoint), secret };
}

export async function listEndpoints(deps: WebhookDeps, tenantId: string): Promise<readonly EndpointView[]> {
  return (await deps.store.listEndpoints(tenantId)).map(toEndpointView);
}

export async function getEndpoint(
  deps: WebhookDeps,
  tenantId: string,
  endpointId: string,
): Promise<EndpointView> {
  const found = await deps.store.getEndpoint(tenantId, endpointId);
  if (!found) throw new NotFoundError(`Webhook endpoint ${endpointId} not found`);
  return toEndpointView(found.value);
}

/**
 * Read-modify-write under an ETag, retried when another writer got there first (deliveries for the same
 * endpoint run concurrently). `change` returns undefined to leave the record as it is.
 */
export async function updateEndpoint(
  store: WebhookStore,
  tenantId: string,
  endpointId: string,
  change: (endpoint: EndpointRecord) => EndpointRecord | undefined,
): Promise<EndpointRecord | undefined> {
  for (let tries = 0; tries < 8; tries += 1) {
    const found = await store.getEndpoint(tenantId, endpointId);
    if (!found) return undefined;
    const next = change(found.value);
    if (!next) return found.value;
    if (await store.replaceEndpoint(next, found.etag)) return next;
  }
  throw new ConflictError(`Webhook endpoint ${endpointId} is being changed concurrently; try again`);
}

/**
 * New secret, returned once. Older secrets keep signing for the overlap (both signatures are sent, so the
 * consumer can switch at any moment within it); secrets already expired are dropped.
 */
export async function rotateSecret(
  deps: WebhookDeps,
  tenantId: string,
  endpointId: string,
  input: unknown = {},
): Promise<{ readonly endpoint: EndpointView; readonly secret: string }> {
  const { overlapSeconds } = parse(RotateSecretSchema, input ?? {});
  const now = new Date(deps.clock());
  const overlapMs = overlapSeconds === undefined ? deps.settings.secretOverlapMs : overlapSeconds * 1000;
  const expiresAt = new Date(now.getTime() + overlapMs).toISOString();
  const { stored, secret } = await newStoredSecret(deps.keys, tenantId, endpointId, now);
  const updated = await updateEndpoint(deps.store, tenantId, endpointId, (endpoint) => ({
    ...endpoint,
    secrets: [
      ...endpoint.secrets
        .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime())
        .map((s) => (s.expiresAt !== undefined && s.expiresAt < expiresAt ? s : { ...s, expiresAt })),
      stored,
    ],
    updatedAt: now.toISOString(),
  }));
  if (!updated) throw new NotFoundError(`Webhook endpoint ${endpointId} not found`);
  return { endpoint: toEndpointView(updated), secret };
}

/** Turns a disabled endpoint back on (after the tenant fixed it); failure history starts afresh. */
export async function enableEndpoint(
  deps: WebhookDeps,
  tenantId: string,
  endpointId: string,
): Promise<EndpointView> {
  const now = new Date(deps.clock()).toISOString();
  const updated = await updateEndpoint(deps.store, tenantId, endpointId, (endpoint) => {
    const { disabledReason: _reason, disabledAt: _at, failingSince: _since, ...rest } = endpoint;
    return { ...rest, enabled: true, updatedAt: now };
  });
  if (!updated) throw new NotFoundError(`Webhook endpoint ${endpointId} not found`);
  return toEndpointView(updated);
}

/** Marks an endpoint disabled with a reason the tenant sees on the endpoint. Idempotent. */
export async function disableEndpoint(
  deps: Pick<WebhookDeps, 'store'>,
  tenantId: string,
  endpointId: string,
  reason: string,
  at: Date,
): Promise<void> {
  await updateEndpoint(deps.store, tenantId, endpointId, (endpoint) =>
    endpoint.enabled
      ? {
          ...endpoint,
          enabled: false,
          disabledReason: reason,
          disabledAt: at.toISOString(),
          updatedAt: at.toISOString(),
        }
      : undefined,
  );
}
