/**
 * OpenAPI 3.1 generated from the same zod schemas the handlers validate with, so the document cannot
 * drift from the behaviour. Built once, on first request.
 */
import { z } from 'zod';
import { BatchSubmitSchema, SubmitJobSchema } from '../../shared/jobs/submission.js';
import type { HttpFunctionDefinition } from '../definitions.js';
import { json, publicRoute } from './context.js';
import { JobListSchema, JobViewSchema } from './job-view.js';

const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    traceId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const PROBLEM_STATUSES: ReadonlyArray<readonly [string, string]> = [
  ['400', 'Invalid request; `errors` names each offending field'],
  ['401', 'Missing or invalid API key or token'],
  ['404', 'No such job for this tenant'],
  ['409', 'Conflict (Idempotency-Key reused with another body, or job already finished)'],
  ['413', 'Request body too large'],
  ['429', 'Tenant limit reached; see Retry-After'],
];

const problemResponses: Record<string, unknown> = Object.fromEntries(
  PROBLEM_STATUSES.map(([status, description]) => [
    status,
    { description, content: { 'application/problem+json': { schema: ref('Problem') } } },
  ]),
);

function buildDocument(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of [SubmitJobSchema, BatchSubmitSchema, JobViewSchema, JobListSchema, ProblemSchema]) {
    const id = schema.meta()?.id;
    if (typeof id === 'string') registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  const jobParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const jsonBody = (name: string): Record<string, unknown> => ({
    required: true,
    content: { 'application/json': { schema: ref(name) } },
  });
  const jobResponse = (description: string): Record<string, unknown> => ({
    description,
    content: { 'application/json': { schema: ref('Job') } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'prompt-pipeline',
      version: '1.0.0',
      description: 'Asynchronous AI jobs: submit, poll, list, cancel.',
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
    paths: {
      '/v1/jobs': {
        post: {
          operationId: 'submitJob',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
            },
            { name: 'traceparent', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: jsonBody('SubmitJob'),
          responses: {
            '202': jobResponse('Accepted; Location names the job'),
            '200': jobResponse('Repeat of an earlier submission'),
            ...problemResponses,
          },
        },
        get: {
          operationId: 'listJobs',
          parameters: [
            {
              name: 'status',
              in: 'query',
              schema: { type: 'string', enum: ['queued', 'succeeded', 'failed', 'cancelled'] },
            },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
            },
            { name: 'continuationToken', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'A page of jobs, newest first',
              content: { 'application/json': { schema: ref('JobList') } },
            },
            ...problemResponses,
          },
        },
      },
      '/v1/jobs/batch': {
        post: {
          operationId: 'submitJobBatch',
          requestBody: jsonBody('BatchSubmit'),
          responses: {
            '207': { description: 'One result per item, each with its own status' },
            ...problemResponses,
          },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          operationId: 'getJob',
          parameters: [jobParam],
          responses: { '200': jobResponse('The job'), ...problemResponses },
        },
      },
      '/v1/jobs/{id}/cancel': {
        post: {
          operationId: 'cancelJob',
          parameters: [jobParam],
          responses: { '200': jobResponse('The cancelled job'), ...problemResponses },
        },
      },
      '/health': {
        get: { operationId: 'health', security: [], responses: { '200': { description: 'Alive' } } },
      },
    },
  };
}

let document: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  document ??= buildDocument();
  return document;
}

const serveOpenApi = publicRoute(() => Promise.resolve(json(200, openApiDocument())));

export const openApiRoutes: readonly HttpFunctionDefinition[] = [
  { kind: 'http', name: 'openapi', route: 'openapi.json', methods: ['GET'], handler: serveOpenApi },
];
