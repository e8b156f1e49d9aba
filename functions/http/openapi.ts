/**
 * OpenAPI 3.1, generated: every HTTP route in functions/manifest.ts becomes an operation (so a new route
 * cannot be missing from the document), and request/response bodies come from the same zod schemas the
 * handlers validate with (so the document cannot drift from the behaviour). Built once, on first request.
 */
import { z } from 'zod';
import { KeyIdSchema } from '../../shared/auth/api-keys.js';
import { EndpointIdSchema, JobIdSchema } from '../../shared/jobs/ids.js';
import { FileIdSchema } from '../../shared/files/file.js';
import { JobStatusSchema } from '../../shared/jobs/job.js';
import { BatchSubmitSchema, SubmitJobSchema } from '../../shared/jobs/submission.js';
import { TenantIdSchema } from '../../shared/tenancy/tenant.js';
import { DeliveryIdSchema } from '../../shared/webhooks/ids.js';
import { RegisterEndpointSchema, RotateSecretSchema } from '../../shared/webhooks/endpoints.js';
import { functionManifest, type HttpFunctionManifest } from '../manifest.js';
import { json, publicRoute } from './context.js';
import { JobListSchema, JobViewSchema } from './job-view.js';
import { FILE_OPERATIONS } from './files-openapi.js';

const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
  traceId: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** Named components: what request and response bodies refer to. */
const COMPONENTS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['SubmitJob', SubmitJobSchema],
  ['BatchSubmit', BatchSubmitSchema],
  ['Job', JobViewSchema],
  ['JobList', JobListSchema],
  ['Problem', ProblemSchema],
  ['RegisterWebhookEndpoint', RegisterEndpointSchema],
  ['RotateWebhookSecret', RotateSecretSchema],
];

/** What the document needs of a route: its trigger facts, not its handler. */
type HttpRoute = Pick<HttpFunctionManifest, 'name' | 'route' | 'methods'>;

interface OperationShape {
  readonly summary: string;
  readonly body?: string;
  readonly response?: { readonly status: string; readonly schema?: string; readonly description: string };
  readonly public?: boolean;
  readonly query?: ReadonlyArray<{ readonly name: string; readonly schema: Record<string, unknown> }>;
  readonly headers?: readonly string[];
}

/** What the generic route list cannot know: summaries and which component each body uses. */
const OPERATIONS: Readonly<Record<string, OperationShape>> = {
  ...FILE_OPERATIONS,
  submitJob: {
    summary:
      'Submit a job. 202 + Location for a new job; 200 with the same job for a repeated Idempotency-Key and body.',
    body: 'SubmitJob',
    response: { status: '202', schema: 'Job', description: 'Accepted' },
    headers: ['Idempotency-Key', 'traceparent'],
  },
  submitJobBatch: {
    summary: 'Submit up to 100 jobs; one result per item.',
    body: 'BatchSubmit',
    response: { status: '207', description: 'One result (status + job or problem) per item' },
  },
  listJobs: {
    summary: "List the tenant's jobs, newest first.",
    response: { status: '200', schema: 'JobList', description: 'A page of jobs' },
    query: [
      { name: 'status', schema: jsonSchemaOf(JobStatusSchema) },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
      {
        name: 'continuationToken',
        schema: {
          type: 'string',
          description:
            "Opaque: the previous page's continuationToken, unchanged, with the same status filter. Any other value is a 400.",
        },
      },
    ],
  },
  listWebhookAttempts: {
    summary: "An endpoint's delivery attempts, newest first.",
    response: { status: '200', description: '{ attempts: [...] }' },
    query: [
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
      { name: 'deliveryId', schema: jsonSchemaOf(DeliveryIdSchema) },
    ],
  },
  getJob: { summary: 'Read one job.', response: { status: '200', schema: 'Job', description: 'The job' } },
  cancelJob: {
    summary: 'Cancel a queued job; 409 once it is finished.',
    response: { status: '200', schema: 'Job', description: 'The cancelled job' },
  },
  registerWebhookEndpoint: {
    summary: 'Register a webhook endpoint; the whsec_ secret is returned once.',
    body: 'RegisterWebhookEndpoint',
    response: { status: '201', description: 'The endpoint and its secret' },
  },
  rotateWebhookSecret: {
    summary: 'Rotate the signing secret; both secrets sign during the overlap.',
    body: 'RotateWebhookSecret',
    response: { status: '200', description: 'The endpoint and its new secret' },
  },
  getDailyUsage: {
    summary:
      "The caller's daily usage rollups (per model alias and terminal status) for the UTC days [since, until]; they outlive the jobs' retention.",
    query: [
      { name: 'since', schema: { type: 'string', format: 'date' } },
      { name: 'until', schema: { type: 'string', format: 'date' } },
    ],
  },
  adminListDeadLetters: {
    summary:
      "Peek at a queue's dead letters (admin), paged by sequence number: `from` is the previous page's `next`.",
    query: [
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 100 } },
      { name: 'from', schema: { type: 'string', pattern: '^\\d{1,20}$' } },
    ],
  },
  adminRedriveDeadLetters: {
    summary:
      'Send the selected dead letters back to their queue (admin); dead letters of finished jobs are skipped.',
  },
  adminPurgeDeadLetters: {
    summary: 'Remove the selected dead letters (admin); `confirm` must repeat the queue name.',
  },
  getUsage: {
    summary:
      "The caller's token and cost totals for jobs finished in [since, until) (default: this UTC month).",
    response: {
      status: '200',
      description: 'Totals: jobs, promptTokens, completionTokens, cachedTokens, totalTokens, costUsd',
    },
    query: [
      { name: 'since', schema: { type: 'string', format: 'date-time' } },
      { name: 'until', schema: { type: 'string', format: 'date-time' } },
    ],
  },
  health: { summary: 'Liveness.', public: true, response: { status: '200', description: 'Alive' } },
  openapi: {
    summary: 'This document.',
    public: true,
    response: { status: '200', description: 'OpenAPI 3.1' },
  },
};

const PROBLEM_STATUSES: ReadonlyArray<readonly [string, string]> = [
  ['400', 'Invalid request; `errors` names each offending field'],
  ['401', 'Missing or invalid API key or token'],
  ['403', 'Not allowed for this caller'],
  ['404', 'Not found for this tenant'],
  ['409', 'Conflict'],
  ['413', 'Request too large'],
  ['429', 'Tenant limit reached; see Retry-After'],
];

function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const problemResponses: Record<string, unknown> = Object.fromEntries(
  PROBLEM_STATUSES.map(([status, description]) => [
    status,
    { description, content: { 'application/problem+json': { schema: ref('Problem') } } },
  ]),
);

/**
 * Each path parameter's format: the schema its handler checks it with (pathParam in ./context.ts), so a
 * client can validate an id before sending it.
 */
function pathParameterSchema(route: string, name: string): Record<string, unknown> {
  const schema =
    name === 'tenantId'
      ? TenantIdSchema
      : name === 'keyId'
        ? KeyIdSchema
        : name === 'jobId' || route.startsWith('v1/jobs/')
          ? JobIdSchema
          : route.startsWith('v1/webhooks/endpoints/')
            ? EndpointIdSchema
            : route.startsWith('v1/files/')
              ? FileIdSchema
              : undefined;
  return schema ? jsonSchemaOf(schema) : { type: 'string' };
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema);
  return jsonSchema;
}

/** `v1/jobs/{id:alpha}` -> `/v1/jobs/{id}` and its path parameter names. */
export function toOpenApiPath(route: string): { path: string; parameters: string[] } {
  const parameters: string[] = [];
  const path = route.replace(/\{\*?([A-Za-z0-9_]+)(?::[^}]*)?\??\}/g, (_match, name: string) => {
    parameters.push(name);
    return `{${name}}`;
  });
  return { path: `/${path}`, parameters };
}

function operationFor(definition: HttpRoute): Record<string, unknown> {
  const shape = OPERATIONS[definition.name];
  const { parameters } = toOpenApiPath(definition.route);
  const response = shape?.response ?? { status: '200', description: 'OK' };
  return {
    operationId: definition.name,
    summary: shape?.summary ?? definition.name,
    ...(shape?.public ? { security: [] } : {}),
    parameters: [
      ...parameters.map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: pathParameterSchema(definition.route, name),
      })),
      ...(shape?.query ?? []).map((query) => ({
        name: query.name,
        in: 'query',
        required: false,
        schema: query.schema,
      })),
      ...(shape?.headers ?? []).map((name) => ({
        name,
        in: 'header',
        required: false,
        schema: { type: 'string' },
      })),
    ],
    ...(shape?.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(shape.body) } } } }
      : {}),
    responses: {
      [response.status]: {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: ref(response.schema) } } } : {}),
      },
      ...(shape?.public ? {} : problemResponses),
    },
  };
}

export function buildOpenApiDocument(routes: readonly HttpRoute[]): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of COMPONENTS) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
    io: 'input',
  });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { path } = toOpenApiPath(route.route);
    const item = (paths[path] ??= {});
    for (const method of route.methods) item[method.toLowerCase()] = operationFor(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'prompt-pipeline',
      version: '1.0.0',
      description: 'Asynchronous AI jobs: submit, poll, list, cancel, webhooks.',
    },
    servers: [{ url: '/api' }],
    security: [{ apiKey: [] }, { bearer: [] }],
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'api-key' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'Microsoft Entra ID access token or a platform API key',
        },
      },
    },
    paths,
  };
}

let document: Record<string, unknown> | undefined;

export const openapi = publicRoute(() => {
  document ??= buildOpenApiDocument(
    functionManifest.filter(
      (entry): entry is Extract<typeof entry, { kind: 'http' }> => entry.kind === 'http',
    ),
  );
  return Promise.resolve(json(200, document));
});
