/**
 * Strict edges through the real HTTP API (dev host, real handlers, embedded Cosmos DB): every id in a
 * path, body or query is checked against its format before any store sees it (400 naming the parameter,
 * never a 500), and a job may only name an enabled webhook endpoint of its own tenant. Each input below
 * is one a hostile or careless tenant actually sent. Continuation tokens: continuation-tokens.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { QueueMessage } from '../../functions/definitions.js';
import { acceptQueue } from '../../functions/queue/intake.js';
import { jobIdFor } from '../../shared/jobs/ids.js';
import type { JobDocument } from '../../shared/jobs/job.js';
import { disableEndpoint } from '../../shared/webhooks/endpoints.js';
import { apiCaller, as, expectRefused } from './edge-client.js';
import { jobBody, startHarness, type Harness } from './http-harness.js';

let h: Harness;
let keyA: string;
let keyB: string;
let admin: Record<string, string>;
let endpointA: string;
let disabledA: string;
let jobA: string;

const call = apiCaller(() => h.apiUrl);

/** The characters the issue names, URL-encoded so they stay inside one path segment. */
const BAD_PATH_IDS = ['x%2Fy', 'x%5Cy', 'x%23y', 'x%3Fy', 'x%20y', 'x%09y'];

beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost' });
  const tenant = { name: 'x', allowedModels: ['*'] };
  keyA = await h.addTenant({ id: 'edge-a', ...tenant });
  keyB = await h.addTenant({ id: 'edge-b', ...tenant });
  admin = { authorization: `Bearer ${await h.adminToken()}` };
  const registered = await call('POST', '/v1/webhooks/endpoints', as(keyA), {
    url: 'http://127.0.0.1:9/hooks/a',
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  endpointA = String(registered.body.id);
  const second = await call('POST', '/v1/webhooks/endpoints', as(keyA), {
    url: 'http://127.0.0.1:9/hooks/b',
  });
  disabledA = String(second.body.id);
  await disableEndpoint(h.services.webhooks, 'edge-a', disabledA, 'test', new Date());
  const created = await call('POST', '/v1/jobs', as(keyA), jobBody('a job'));
  expect(created.status).toBe(202);
  jobA = String(created.body.id);
}, 60_000);

afterAll(() => h?.close());

describe('ids in paths are checked before any store', () => {
  const tenantRoutes: [string, (id: string) => string, string][] = [
    ['GET', (id) => `/v1/jobs/${id}`, 'id'],
    ['POST', (id) => `/v1/jobs/${id}/cancel`, 'id'],
    ['GET', (id) => `/v1/webhooks/endpoints/${id}`, 'id'],
    ['POST', (id) => `/v1/webhooks/endpoints/${id}/rotate-secret`, 'id'],
    ['POST', (id) => `/v1/webhooks/endpoints/${id}/enable`, 'id'],
    ['GET', (id) => `/v1/webhooks/endpoints/${id}/attempts`, 'id'],
    ['POST', (id) => `/v1/webhooks/endpoints/${id}/replay`, 'id'],
    ['POST', (id) => `/v1/webhooks/jobs/${id}/replay`, 'jobId'],
  ];

  test.each(tenantRoutes)(
    '%s %s: /, \\, #, ?, space and tab are a 400 naming the parameter',
    async (method, path, name) => {
      for (const bad of BAD_PATH_IDS) {
        const body =
          path('').endsWith('/replay') && name === 'id' ? { since: '2026-01-01T00:00:00Z' } : undefined;
        expectRefused(
          await call(method, path(bad), as(keyA), body),
          `(path) ${name}`,
          `${method} ${path(bad)}`,
        );
      }
    },
  );

  test('a well-formed id that does not exist is still a 404', async () => {
    const missing = await call('GET', `/v1/jobs/job_${'0'.repeat(32)}`, as(keyA));
    expect(missing.status).toBe(404);
    const noEndpoint = await call('GET', `/v1/webhooks/endpoints/ep_${'0'.repeat(32)}`, as(keyA));
    expect(noEndpoint.status).toBe(404);
    expect((await call('GET', `/v1/jobs/${jobA}`, as(keyA))).status).toBe(200);
  });

  test('admin routes check tenantId and keyId the same way', async () => {
    const routes: [string, (bad: string) => string, string, unknown?][] = [
      ['GET', (bad) => `/v1/admin/tenants/${bad}`, 'tenantId'],
      ['PATCH', (bad) => `/v1/admin/tenants/${bad}`, 'tenantId', { name: 'n' }],
      ['POST', (bad) => `/v1/admin/tenants/${bad}/keys`, 'tenantId', { name: 'n' }],
      ['GET', (bad) => `/v1/admin/tenants/${bad}/keys`, 'tenantId'],
      ['POST', (bad) => `/v1/admin/tenants/${bad}/keys/${'0'.repeat(24)}/revoke`, 'tenantId'],
      ['POST', (bad) => `/v1/admin/tenants/edge-a/keys/${bad}/revoke`, 'keyId'],
    ];
    for (const [method, path, name, body] of routes) {
      for (const bad of BAD_PATH_IDS) {
        expectRefused(await call(method, path(bad), admin, body), `(path) ${name}`, `${method} ${path(bad)}`);
      }
    }
  });
});

test('the OpenAPI document gives each path id its format', async () => {
  const doc = (await (await fetch(`${h.apiUrl}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters: { name: string; schema: { pattern?: string } }[] }>>;
  };
  const pattern = (path: string, method: string, name: string) =>
    doc.paths[path]?.[method]?.parameters.find((p) => p.name === name)?.schema.pattern;
  expect(pattern('/v1/jobs/{id}', 'get', 'id')).toBe('^job_[0-9a-f]{32}$');
  expect(pattern('/v1/webhooks/jobs/{jobId}/replay', 'post', 'jobId')).toBe('^job_[0-9a-f]{32}$');
  expect(pattern('/v1/webhooks/endpoints/{id}/attempts', 'get', 'id')).toBe('^ep_[0-9a-f]{32}$');
  expect(pattern('/v1/webhooks/endpoints/{id}/attempts', 'get', 'deliveryId')).toMatch(/^\^ep_.*:evt_/);
  expect(pattern('/v1/admin/tenants/{tenantId}/keys/{keyId}/revoke', 'post', 'keyId')).toBe('^[0-9a-f]{24}$');
  expect(pattern('/v1/admin/tenants/{tenantId}', 'get', 'tenantId')).toBeDefined();
});

describe('ids in bodies and queries', () => {
  test('replaying a job to a malformed endpointId is a 400 naming endpointId', async () => {
    const reply = await call('POST', `/v1/webhooks/jobs/${jobA}/replay`, as(keyA), { endpointId: 'ep/x' });
    expectRefused(reply, 'endpointId', 'replay body');
  });

  test('listing attempts for a malformed deliveryId is a 400 naming deliveryId', async () => {
    for (const bad of ['a/b', 'a b', 'x#y']) {
      const reply = await call(
        'GET',
        `/v1/webhooks/endpoints/${endpointA}/attempts?deliveryId=${encodeURIComponent(bad)}`,
        as(keyA),
      );
      expectRefused(reply, 'deliveryId', bad);
    }
  });
});

describe('a job may only name an enabled webhook endpoint of its own tenant', () => {
  const withEndpoint = (id: string) => ({ ...(JSON.parse(jobBody()) as object), webhook_endpoint_id: id });
  const unknown = `ep_${'f'.repeat(32)}`;

  test('"ep/x" is a 400 naming webhook_endpoint_id, not a 202 that crash-loops deliver', async () => {
    const sent = h.publisher.sent.length;
    expectRefused(
      await call('POST', '/v1/jobs', as(keyA), withEndpoint('ep/x')),
      'webhook_endpoint_id',
      'ep/x',
    );
    expect(h.publisher.sent.length).toBe(sent);
  });

  test('an unknown endpoint, another tenant’s and a disabled one are refused alike', async () => {
    const refusedUnknown = await call('POST', '/v1/jobs', as(keyB), withEndpoint(unknown));
    expectRefused(refusedUnknown, 'webhook_endpoint_id', 'unknown');
    const crossTenant = await call('POST', '/v1/jobs', as(keyB), withEndpoint(endpointA));
    expectRefused(crossTenant, 'webhook_endpoint_id', 'tenant B naming A’s endpoint');
    // B learns nothing: A's endpoint looks exactly like one that does not exist.
    expect(JSON.stringify(crossTenant.body.errors).replaceAll(endpointA, 'ID')).toBe(
      JSON.stringify(refusedUnknown.body.errors).replaceAll(unknown, 'ID'),
    );
    expectRefused(
      await call('POST', '/v1/jobs', as(keyA), withEndpoint(disabledA)),
      'webhook_endpoint_id',
      'disabled',
    );
  });

  test('the tenant’s own enabled endpoint is accepted', async () => {
    const own = await call('POST', '/v1/jobs', as(keyA), withEndpoint(endpointA));
    expect(own.status, JSON.stringify(own.body)).toBe(202);
  });

  test('in a batch only the item naming a foreign endpoint is refused', async () => {
    const reply = await call('POST', '/v1/jobs/batch', as(keyB), {
      jobs: [{ job: withEndpoint(endpointA) }, { job: JSON.parse(jobBody()) as unknown }],
    });
    expect(reply.status).toBe(207);
    const results = reply.body.results as { status: number; problem?: { errors?: { field: string }[] } }[];
    expect(results.map((r) => r.status)).toEqual([400, 202]);
    expect(results[0]!.problem?.errors?.map((e) => e.field)).toEqual(['webhook_endpoint_id']);
  });

  test('a malformed id in a batch refuses that item alone, naming its field; each job has its own trace', async () => {
    const reply = await call('POST', '/v1/jobs/batch', as(keyB), {
      jobs: [
        { job: JSON.parse(jobBody()) as unknown },
        { job: withEndpoint('ep/x') },
        { job: JSON.parse(jobBody()) as unknown },
      ],
    });
    expect(reply.status).toBe(207);
    const results = reply.body.results as {
      status: number;
      job?: { traceId: string };
      problem?: { errors?: { field: string }[] };
    }[];
    expect(results.map((r) => r.status)).toEqual([202, 400, 202]);
    expect(results[1]!.problem?.errors?.map((e) => e.field)).toEqual(['job/webhook_endpoint_id']);
    const traces = [results[0]!.job!.traceId, results[2]!.job!.traceId];
    expect(new Set(traces).size).toBe(2);
  });

  test('an intake message whose tenantId is not a tenant id is dead-lettered once, not retried', async () => {
    const outcome = await acceptQueue(
      {
        body: JSON.parse(jobBody()) as unknown,
        messageId: 'queue-bad-tenant',
        deliveryCount: 1,
        applicationProperties: { tenantId: 'edge/b' },
      },
      {} as never,
    );
    expect(outcome).toMatchObject({ settle: 'deadLetter', reason: 'TenantNotAllowed' });
  });

  test('over the intake queue the job fails with the reason', async () => {
    const message = (key: string, endpointId: string): QueueMessage => ({
      body: withEndpoint(endpointId),
      messageId: key,
      deliveryCount: 1,
      applicationProperties: { tenantId: 'edge-b', idempotencyKey: key },
    });
    for (const [key, endpointId] of [
      ['queue-foreign', endpointA],
      ['queue-malformed', 'ep/x'],
    ] as const) {
      const outcome = await acceptQueue(message(key, endpointId), {} as never);
      expect(outcome).toEqual({ settle: 'complete' });
      const stored = await h.services.jobs.get('edge-b', jobIdFor('edge-b', key));
      const job = stored?.job as JobDocument;
      expect(job.status, key).toBe('failed');
      expect(job.error?.code).toBe('validation_failed');
      expect(job.error?.message).toContain('webhook_endpoint_id');
    }
  });
});
