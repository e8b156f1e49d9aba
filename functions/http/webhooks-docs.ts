/**
 * The webhook routes' schemas and documentation (handlers in webhooks.ts, which validate with these).
 */
import { z } from 'zod';
import { EndpointIdSchema, JobIdSchema } from '../../shared/jobs/ids.js';
import { DeliveryErrorCodeSchema } from '../../shared/webhooks/failures.js';
import { DeliveryIdSchema } from '../../shared/webhooks/ids.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../../shared/webhooks/events.js';
import {
  JobErrorSchema,
  JobResultSchema,
  JobUsageSchema,
  TerminalStatusSchema,
} from '../../shared/jobs/job.js';
import { RegisterEndpointSchema, RotateSecretSchema } from '../../shared/webhooks/endpoints.js';
import type { AttemptRecord, EndpointView } from '../../shared/webhooks/records.js';
import { fits, LocationHeader, type RouteDoc } from './route-docs.js';

export const EndpointIdPathSchema = z.object({ id: EndpointIdSchema });

export const AttemptsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  deliveryId: DeliveryIdSchema.optional(),
});

export const ReplayFailedSchema = z
  .strictObject({ since: z.iso.datetime({ offset: true }) })
  .meta({ id: 'ReplayFailedWebhooks' });

export const ReplayJobSchema = z
  .strictObject({
    endpointId: EndpointIdSchema.optional().meta({
      description: 'Only to this endpoint; default: every one',
    }),
  })
  .meta({ id: 'ReplayJobWebhook' });

export const WebhookEndpointSchema = fits<EndpointView>()(
  z
    .object({
      id: z.string(),
      url: z.string(),
      description: z.string(),
      eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
      enabled: z.boolean(),
      disabledReason: z.string().optional(),
      disabledAt: z.string().optional(),
      createdAt: z.string(),
      updatedAt: z.string(),
      failingSince: z.string().optional(),
      lastSuccessAt: z.string().optional(),
      /** The secrets that sign now, newest first; never their values. */
      secrets: z.array(z.object({ id: z.string(), createdAt: z.string(), expiresAt: z.string().optional() })),
    })
    .meta({ id: 'WebhookEndpoint' }),
);

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  /** `whsec_...`: shown this once; verify deliveries with it (Standard Webhooks). */
  secret: z.string(),
}).meta({ id: 'WebhookEndpointWithSecret' });

type AttemptView = Omit<AttemptRecord, 'kind' | 'tenantId' | 'ttl'>;

export const WebhookAttemptSchema = fits<AttemptView>()(
  z
    .object({
      id: z.string(),
      endpointId: z.string(),
      deliveryId: z.string(),
      webhookId: z.string(),
      jobId: z.string(),
      attempt: z.number().int(),
      at: z.string(),
      status: z.number().int().optional(),
      latencyMs: z.number(),
      outcome: z.enum(['delivered', 'retry', 'gaveUp', 'disabled']),
      error: z.string().optional(),
      errorCode: DeliveryErrorCodeSchema.optional(),
      responseSnippet: z.string().optional(),
    })
    .meta({ id: 'WebhookAttempt' }),
);

export const ReplayResultSchema = z
  .object({
    replayed: z.number().int().min(0),
    deliveries: z.array(z.object({ deliveryId: z.string(), endpointId: z.string(), webhookId: z.string() })),
  })
  .meta({ id: 'WebhookReplay' });

/** What a webhook delivery's body is (shared/webhooks/events.ts), signed per Standard Webhooks. */
export const WebhookEventSchema = fits<WebhookEvent>()(
  z
    .object({
      type: z.enum(WEBHOOK_EVENT_TYPES),
      /** When the job reached this state; the same across retries and replays. */
      timestamp: z.string(),
      data: z.object({
        jobId: z.string(),
        status: TerminalStatusSchema,
        result: JobResultSchema.optional(),
        /** Instead of `result` when the event would be too large: GET it with your API key. */
        resultUrl: z.string().optional(),
        error: JobErrorSchema.optional(),
        usage: JobUsageSchema.optional(),
        metadata: z.record(z.string(), z.string()),
        traceId: z.string(),
      }),
    })
    .meta({ id: 'WebhookEvent' }),
);

/** The headers every delivery carries (Standard Webhooks). */
export const WebhookDeliveryHeadersSchema = z.object({
  'webhook-id': z.string().meta({ description: 'evt_...: the same for retries and replays of one event' }),
  'webhook-timestamp': z.string().meta({ description: 'Unix seconds when this attempt was signed' }),
  'webhook-signature': z
    .string()
    .meta({ description: 'v1,<base64 HMAC-SHA256>, one per active secret, space-separated' }),
});

const endpoint = { description: 'The endpoint', schema: WebhookEndpointSchema } as const;
const replayed = { description: 'Queued for delivery', schema: ReplayResultSchema } as const;

export const WEBHOOKS_DOCS = {
  registerWebhookEndpoint: {
    summary: 'Register a webhook endpoint',
    description: 'The `whsec_` secret is returned once; only its encrypted form is stored.',
    access: 'tenant',
    body: { schema: RegisterEndpointSchema.meta({ id: 'RegisterWebhookEndpoint' }) },
    responses: {
      201: {
        description: 'The endpoint and its secret',
        schema: WebhookEndpointWithSecretSchema,
        headers: LocationHeader,
      },
    },
    problems: [400],
  },
  listWebhookEndpoints: {
    summary: "The tenant's webhook endpoints",
    access: 'tenant',
    responses: {
      200: { description: 'Every endpoint', schema: z.object({ endpoints: z.array(WebhookEndpointSchema) }) },
    },
    problems: [],
  },
  getWebhookEndpoint: {
    summary: 'Read one webhook endpoint',
    access: 'tenant',
    path: EndpointIdPathSchema,
    responses: { 200: endpoint },
    problems: [400, 404],
  },
  rotateWebhookSecret: {
    summary: 'Rotate the signing secret',
    description:
      'Both secrets sign during the overlap (`overlapSeconds`; 0 ends the old one now). The body is optional.',
    access: 'tenant',
    path: EndpointIdPathSchema,
    body: { schema: RotateSecretSchema.meta({ id: 'RotateWebhookSecret' }), required: false },
    responses: {
      200: { description: 'The endpoint and its new secret', schema: WebhookEndpointWithSecretSchema },
    },
    problems: [400, 404, 409],
  },
  enableWebhookEndpoint: {
    summary: 'Re-enable a disabled webhook endpoint',
    access: 'tenant',
    path: EndpointIdPathSchema,
    responses: { 200: endpoint },
    problems: [400, 404, 409],
  },
  listWebhookAttempts: {
    summary: "An endpoint's delivery attempts, newest first",
    access: 'tenant',
    path: EndpointIdPathSchema,
    query: AttemptsQuerySchema,
    responses: {
      200: { description: 'The attempts', schema: z.object({ attempts: z.array(WebhookAttemptSchema) }) },
    },
    problems: [400, 404],
  },
  replayFailedWebhooks: {
    summary: "Replay an endpoint's failed deliveries since a time",
    access: 'tenant',
    path: EndpointIdPathSchema,
    body: { schema: ReplayFailedSchema },
    responses: { 202: replayed },
    problems: [400, 404, 409],
  },
  replayJobWebhook: {
    summary: "Replay a job's webhook event",
    description: '404 when no event was recorded for the job. The body is optional.',
    access: 'tenant',
    path: z.object({ jobId: JobIdSchema }),
    body: { schema: ReplayJobSchema, required: false },
    responses: { 202: replayed },
    problems: [400, 404, 409],
  },
} as const satisfies Record<string, RouteDoc>;
