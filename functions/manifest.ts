/**
 * What the Functions host needs to index the app, and nothing more: each function's name, its trigger
 * (route + methods, or queue) and the handler module group that implements it. This is the one list of
 * functions: registry.ts turns it into definitions whose handlers load on first use, index.ts registers
 * those with Azure and the dev host runs them. Each group module exports every handler of its group
 * under the function's name here (`export const submitJob = ...` in http/jobs.ts), checked against
 * GroupHandlers below when registry.ts loads it, so a name missing or misspelt on either side is a
 * compile error and a search for a name finds both the route and its code.
 *
 * Why a separate list: importing the handlers loads zod, shared/ and the route modules (~200 ms on a cold
 * start), and the v4 programming model needs only these facts, synchronously, at import. Keep this
 * module free of value imports.
 */
import type { HttpMethod } from '@azure/functions';
import type {
  HttpFunctionDefinition,
  QueueFunctionDefinition,
  TimerFunctionDefinition,
} from './definitions.js';

/** One handler module per area; each is a dynamic import in registry.ts. */
export const HANDLER_GROUPS = [
  'health',
  'openapi',
  'jobs',
  'usage',
  'admin',
  'intake',
  'stages',
  'webhooks',
  'deliver',
  'recovery',
  'operations',
  'files',
  'batches',
  'batchSweep',
  'capacitySweep',
] as const;
export type HandlerGroup = (typeof HANDLER_GROUPS)[number];

export interface HttpFunctionManifest<G extends string = HandlerGroup> {
  readonly kind: 'http';
  readonly name: string;
  /** Route under the `/api` prefix, Azure Functions syntax: `v1/jobs/{id}`. */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
  readonly group: G;
  /**
   * `stream`: the handler reads the request body as it arrives, under its own limit (file uploads); the
   * dev host then skips its buffered read and its body cap. Azure streams every body (HTTP streams).
   */
  readonly requestBody?: 'stream';
}

export interface QueueFunctionManifest<G extends string = HandlerGroup> {
  readonly kind: 'serviceBusQueue';
  readonly name: string;
  readonly queueName: string;
  readonly group: G;
}

export interface TimerFunctionManifest<G extends string = HandlerGroup> {
  readonly kind: 'timer';
  readonly name: string;
  readonly schedule: string;
  readonly group: G;
}

export type FunctionManifestEntry<G extends string = HandlerGroup> =
  HttpFunctionManifest<G> | QueueFunctionManifest<G> | TimerFunctionManifest<G>;

const webhookEndpoints = 'v1/webhooks/endpoints';

export const functionManifest = [
  { kind: 'http', name: 'health', route: 'health', methods: ['GET'], group: 'health' },
  { kind: 'http', name: 'openapi', route: 'openapi.json', methods: ['GET'], group: 'openapi' },

  { kind: 'http', name: 'submitJob', route: 'v1/jobs', methods: ['POST'], group: 'jobs' },
  { kind: 'http', name: 'submitJobBatch', route: 'v1/jobs/batch', methods: ['POST'], group: 'jobs' },
  { kind: 'http', name: 'listJobs', route: 'v1/jobs', methods: ['GET'], group: 'jobs' },
  { kind: 'http', name: 'getJob', route: 'v1/jobs/{id}', methods: ['GET'], group: 'jobs' },
  { kind: 'http', name: 'getJobEvents', route: 'v1/jobs/{id}/events', methods: ['GET'], group: 'jobs' },
  { kind: 'http', name: 'cancelJob', route: 'v1/jobs/{id}/cancel', methods: ['POST'], group: 'jobs' },

  { kind: 'http', name: 'getUsage', route: 'v1/usage', methods: ['GET'], group: 'usage' },
  { kind: 'http', name: 'getDailyUsage', route: 'v1/usage/daily', methods: ['GET'], group: 'usage' },

  { kind: 'http', name: 'adminCreateTenant', route: 'v1/admin/tenants', methods: ['POST'], group: 'admin' },
  { kind: 'http', name: 'adminListTenants', route: 'v1/admin/tenants', methods: ['GET'], group: 'admin' },
  {
    kind: 'http',
    name: 'adminGetTenant',
    route: 'v1/admin/tenants/{tenantId}',
    methods: ['GET'],
    group: 'admin',
  },
  {
    kind: 'http',
    name: 'adminUpdateTenant',
    route: 'v1/admin/tenants/{tenantId}',
    methods: ['PATCH'],
    group: 'admin',
  },
  {
    kind: 'http',
    name: 'adminIssueKey',
    route: 'v1/admin/tenants/{tenantId}/keys',
    methods: ['POST'],
    group: 'admin',
  },
  {
    kind: 'http',
    name: 'adminListKeys',
    route: 'v1/admin/tenants/{tenantId}/keys',
    methods: ['GET'],
    group: 'admin',
  },
  {
    kind: 'http',
    name: 'adminRevokeKey',
    route: 'v1/admin/tenants/{tenantId}/keys/{keyId}/revoke',
    methods: ['POST'],
    group: 'admin',
  },

  { kind: 'serviceBusQueue', name: 'acceptQueue', queueName: 'intake', group: 'intake' },
  { kind: 'serviceBusQueue', name: 'invoke', queueName: 'invoke', group: 'stages' },
  { kind: 'serviceBusQueue', name: 'postprocess', queueName: 'postprocess', group: 'stages' },
  { kind: 'serviceBusQueue', name: 'persist', queueName: 'persist', group: 'stages' },

  {
    kind: 'http',
    name: 'registerWebhookEndpoint',
    route: webhookEndpoints,
    methods: ['POST'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'listWebhookEndpoints',
    route: webhookEndpoints,
    methods: ['GET'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'getWebhookEndpoint',
    route: `${webhookEndpoints}/{id}`,
    methods: ['GET'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'rotateWebhookSecret',
    route: `${webhookEndpoints}/{id}/rotate-secret`,
    methods: ['POST'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'enableWebhookEndpoint',
    route: `${webhookEndpoints}/{id}/enable`,
    methods: ['POST'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'listWebhookAttempts',
    route: `${webhookEndpoints}/{id}/attempts`,
    methods: ['GET'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'replayFailedWebhooks',
    route: `${webhookEndpoints}/{id}/replay`,
    methods: ['POST'],
    group: 'webhooks',
  },
  {
    kind: 'http',
    name: 'replayJobWebhook',
    route: 'v1/webhooks/jobs/{jobId}/replay',
    methods: ['POST'],
    group: 'webhooks',
  },

  { kind: 'serviceBusQueue', name: 'deliver', queueName: 'deliver', group: 'deliver' },

  // Every minute: dead letters tied back to their jobs, stalled jobs ended (shared/recovery/).
  { kind: 'timer', name: 'reconcile', schedule: '0 * * * * *', group: 'recovery' },
  {
    kind: 'http',
    name: 'adminListDeadLetters',
    route: 'v1/admin/dead-letters/{queue}',
    methods: ['GET'],
    group: 'operations',
  },
  {
    kind: 'http',
    name: 'adminRedriveDeadLetters',
    route: 'v1/admin/dead-letters/{queue}/redrive',
    methods: ['POST'],
    group: 'operations',
  },
  {
    kind: 'http',
    name: 'adminPurgeDeadLetters',
    route: 'v1/admin/dead-letters/{queue}/purge',
    methods: ['POST'],
    group: 'operations',
  },

  // OpenAI-compatible Files API (docs/batches.md).
  {
    kind: 'http',
    name: 'createFile',
    route: 'v1/files',
    methods: ['POST'],
    group: 'files',
    requestBody: 'stream',
  },
  { kind: 'http', name: 'listFiles', route: 'v1/files', methods: ['GET'], group: 'files' },
  { kind: 'http', name: 'getFile', route: 'v1/files/{id}', methods: ['GET'], group: 'files' },
  { kind: 'http', name: 'deleteFile', route: 'v1/files/{id}', methods: ['DELETE'], group: 'files' },
  {
    kind: 'http',
    name: 'getFileContent',
    route: 'v1/files/{id}/content',
    methods: ['GET'],
    group: 'files',
  },

  // OpenAI-compatible Batches API (docs/batches.md); the sweep moves every open batch along.
  { kind: 'http', name: 'createBatch', route: 'v1/batches', methods: ['POST'], group: 'batches' },
  { kind: 'http', name: 'listBatches', route: 'v1/batches', methods: ['GET'], group: 'batches' },
  { kind: 'http', name: 'getBatch', route: 'v1/batches/{id}', methods: ['GET'], group: 'batches' },
  { kind: 'http', name: 'cancelBatch', route: 'v1/batches/{id}/cancel', methods: ['POST'], group: 'batches' },
  { kind: 'timer', name: 'batchSweep', schedule: '30 * * * * *', group: 'batchSweep' },
  { kind: 'timer', name: 'capacitySweep', schedule: '45 * * * * *', group: 'capacitySweep' },
] as const satisfies readonly FunctionManifestEntry[];

type Entry = (typeof functionManifest)[number];

/**
 * What a group module must export: one handler per manifest name of that group, of the trigger's kind
 * (the module may export other things too, such as the schemas the OpenAPI document reads).
 */
export type GroupHandlers<G extends HandlerGroup> = {
  readonly [E in Extract<Entry, { readonly group: G }> as E['name']]: E extends { readonly kind: 'http' }
    ? HttpFunctionDefinition['handler']
    : E extends { readonly kind: 'timer' }
      ? TimerFunctionDefinition['handler']
      : QueueFunctionDefinition['handler'];
};
