/**
 * The generated OpenAPI document (functions/http/openapi-document.ts): valid OpenAPI 3.1 by a validator
 * package, and complete against the route table: every HTTP function of functions/manifest.ts is an
 * operation with its function name as id, its path parameters, and a schema for every response status.
 * Which statuses a handler really answers is checked by openapi-statuses.test.ts.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, test } from 'vitest';
import { functionManifest } from '../../../functions/manifest.js';
import { buildOpenApiDocument, ROUTE_DOCS, toOpenApiPath } from '../../../functions/http/openapi-document.js';
import { documentedStatuses } from '../../../functions/http/route-docs.js';

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const httpRoutes = functionManifest.filter((entry) => entry.kind === 'http');
const document = buildOpenApiDocument();
const paths = document.paths as Record<string, Record<string, Operation>>;

test('is valid OpenAPI 3.1 (@readme/openapi-parser)', async () => {
  // The validator dereferences in place: give it a copy.
  const result = await validate(structuredClone(document) as never);
  expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  expect(result.specification).toBe('OpenAPI');
  expect(document.openapi).toBe('3.1.0');
});

test('building it twice gives the same document (the client is generated from it)', () => {
  expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(document));
});

describe.each(httpRoutes.map((route) => [`${route.methods.join(',')} /api/${route.route}`, route] as const))(
  '%s',
  (_label, route) => {
    const { path, parameters } = toOpenApiPath(route.route);
    const operations = route.methods.map((method) => paths[path]?.[method.toLowerCase()]);

    test('is an operation whose id is the function name', () => {
      for (const operation of operations) expect(operation?.operationId).toBe(route.name);
    });

    test('declares each path parameter, required, with a schema', () => {
      for (const operation of operations) {
        const declared = (operation?.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort()).toEqual([...parameters].sort());
        for (const parameter of declared) {
          expect(parameter.required).toBe(true);
          expect(parameter.schema).toBeDefined();
        }
      }
    });

    test('documents every status of its docs, each with a schema (204 excepted)', () => {
      const doc = ROUTE_DOCS[route.name];
      for (const operation of operations) {
        expect(Object.keys(operation?.responses ?? {}).map(Number)).toEqual(documentedStatuses(doc));
        for (const [status, response] of Object.entries(operation?.responses ?? {})) {
          if (status === '204') continue;
          const media = Object.values(response.content ?? {});
          expect(media.length, `${route.name} ${status}`).toBeGreaterThan(0);
          for (const { schema } of media) expect(schema, `${route.name} ${status}`).toBeDefined();
        }
        const errors = Object.entries(operation?.responses ?? {}).filter(([status]) => Number(status) >= 400);
        for (const [, response] of errors)
          expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
      }
    });

    test('has a request body schema when its handler reads one', () => {
      const doc = ROUTE_DOCS[route.name];
      for (const operation of operations) {
        if ('body' in doc)
          expect(Object.values(operation?.requestBody?.content ?? {})[0]?.schema).toBeDefined();
        else expect(operation?.requestBody).toBeUndefined();
      }
    });
  },
);

test('has no operation that is not a manifest route', () => {
  const operations = Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  expect(operations.sort()).toEqual(httpRoutes.map((route) => route.name).sort());
});

test('states the statuses the handlers use: 202 submit, 207 batch, 201 created, 202 replays', () => {
  const statuses = (path: string, method: string) => Object.keys(paths[path]?.[method]?.responses ?? {});
  expect(statuses('/v1/jobs', 'post')).toEqual(expect.arrayContaining(['200', '202', '409', '429']));
  expect(statuses('/v1/jobs/batch', 'post')).toContain('207');
  expect(statuses('/v1/webhooks/endpoints', 'post')).toContain('201');
  expect(statuses('/v1/admin/tenants', 'post')).toContain('201');
  expect(statuses('/v1/admin/tenants/{tenantId}/keys', 'post')).toContain('201');
  expect(statuses('/v1/webhooks/jobs/{jobId}/replay', 'post')).toContain('202');
  expect(statuses('/v1/webhooks/endpoints/{id}/replay', 'post')).toContain('202');
  expect(statuses('/v1/jobs/{id}/cancel', 'post')).toEqual(expect.arrayContaining(['200', '404', '409']));
});
