/**
 * Tenant isolation through the real HTTP API: tenant B (API key) and an Entra-mapped tenant try every
 * route against tenant A's jobs and webhook endpoints. Each attempt must fail exactly as it would for
 * an id that never existed (same status, same problem code, same detail shape), so B cannot even learn
 * that A's resources exist. A's resources must be unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, jobBody, type Harness } from './http-harness.js';

let h: Harness;
let keyA: string;
let keyB: string;
let jobA: { id: string };

const json = 'application/json';

async function call(
  method: string,
  path: string,
  auth: Record<string, string>,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
  const response = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': json } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    contentType: response.headers.get('content-type'),
  };
}

const as = (key: string) => ({ 'api-key': key });

/** A problem as the caller sees it, minus the parts that always differ (trace ids, instance paths). */
function shapeOf(
  response: { status: number; body: Record<string, unknown> },
  id: string,
  placeholder: string,
) {
  const { traceId: _t, instance: _i, ...rest } = response.body;
  return {
    status: response.status,
    body: JSON.parse(JSON.stringify(rest).replaceAll(id, placeholder)) as unknown,
  };
}

beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost' });
  const tenant = { name: 'x', allowedModels: ['*'] };
  keyA = await h.addTenant({ id: 'tenant-a', ...tenant });
  keyB = await h.addTenant({ id: 'tenant-b', ...tenant });
  await h.addTenant({ id: 'team-entra', ...tenant });
  const created = await call('POST', '/v1/jobs', as(keyA), jobBody('A secret prompt'), {
    'idempotency-key': 'shared-key-1',
  });
  expect(created.status).toBe(202);
  jobA = created.body as { id: string };
});

afterAll(() => h?.close());

describe('jobs', () => {
  const intruders = (): [string, Record<string, string>][] => [
    ['tenant B with an API key', as(keyB)],
    ['an Entra-mapped tenant', {}],
  ];

  async function authFor(label: string, auth: Record<string, string>) {
    return label.startsWith('an Entra') ? { authorization: `Bearer ${await h.entraToken()}` } : auth;
  }

  test('read and cancel of A’s job look exactly like a job that does not exist', async () => {
    const ghost = `job_${'0'.repeat(32)}`;
    for (const [label, raw] of intruders()) {
      const auth = await authFor(label, raw);
      for (const [method, suffix] of [
        ['GET', ''],
        ['POST', '/cancel'],
      ] as const) {
        const theirs = await call(method, `/v1/jobs/${jobA.id}${suffix}`, auth);
        const missing = await call(method, `/v1/jobs/${ghost}${suffix}`, auth);
        expect(theirs.status, `${label} ${method}${suffix}`).toBe(404);
        expect(theirs.contentType).toBe('application/problem+json');
        expect(shapeOf(theirs, jobA.id, 'ID')).toEqual(shapeOf(missing, ghost, 'ID'));
        expect(JSON.stringify(theirs.body)).not.toContain('A secret prompt');
      }
    }
    const stillA = await call('GET', `/v1/jobs/${jobA.id}`, as(keyA));
    expect(stillA.body).toMatchObject({ id: jobA.id, status: 'queued' });
  });

  test('listing shows only the caller’s own jobs, with any status filter and page size', async () => {
    const own = await call('POST', '/v1/jobs', as(keyB), jobBody('B prompt'));
    expect(own.status).toBe(202);
    for (const query of ['', '?status=queued', '?limit=100', '?status=succeeded']) {
      const listed = await call('GET', `/v1/jobs${query}`, as(keyB));
      expect(listed.status).toBe(200);
      const ids = (listed.body.jobs as { id: string }[]).map((j) => j.id);
      expect(ids).not.toContain(jobA.id);
      for (const id of ids) expect(id).not.toBe(jobA.id);
    }
    const entra = await call('GET', '/v1/jobs', { authorization: `Bearer ${await h.entraToken()}` });
    expect((entra.body.jobs as unknown[]).length).toBe(0);
  });

  test('reusing A’s Idempotency-Key is B’s own new job, not a conflict that would reveal A used it', async () => {
    const b = await call('POST', '/v1/jobs', as(keyB), jobBody('different body'), {
      'idempotency-key': 'shared-key-1',
    });
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(jobA.id);
    const a = await call('GET', `/v1/jobs/${jobA.id}`, as(keyA));
    expect(a.body).toMatchObject({ status: 'queued' });
  });

  test('a tenant id smuggled in the body or headers is refused or ignored', async () => {
    const smuggled = JSON.stringify({ ...(JSON.parse(jobBody()) as object), tenantId: 'tenant-a' });
    const refused = await call('POST', '/v1/jobs', as(keyB), smuggled);
    expect(refused.status).toBe(400);
    const headerTry = await call('POST', '/v1/jobs', as(keyB), jobBody('hdr'), { 'x-tenant-id': 'tenant-a' });
    expect(headerTry.status).toBe(202);
    const asA = await call('GET', `/v1/jobs/${String(headerTry.body.id)}`, as(keyA));
    expect(asA.status).toBe(404);
  });

  test('tenant callers cannot reach the admin API, and learn nothing about other tenants there', async () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/tenants'],
      ['GET', '/v1/admin/tenants/tenant-a'],
      ['GET', '/v1/admin/tenants/no-such-tenant'],
      ['GET', '/v1/admin/tenants/tenant-a/keys'],
      ['POST', '/v1/admin/tenants/tenant-a/keys/000000000000000000000000/revoke'],
    ] as const) {
      const response = await call(method, path, as(keyB));
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.detail).toBe('This operation needs the platform admin role.');
    }
    const entra = await call('GET', '/v1/admin/tenants', { authorization: `Bearer ${await h.entraToken()}` });
    expect(entra.status).toBe(403);
  });
});

describe('webhook endpoints and replays', () => {
  let endpointA: string;

  beforeAll(async () => {
    const registered = await call(
      'POST',
      '/v1/webhooks/endpoints',
      as(keyA),
      JSON.stringify({ url: 'http://127.0.0.1:9/hooks/a' }),
    );
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    endpointA = String(registered.body.id);
  });

  test('B cannot read, rotate, enable, list attempts of or replay A’s endpoint: all look like “no such endpoint”', async () => {
    const ghost = `ep_${'0'.repeat(32)}`;
    const routes: [string, string, string?][] = [
      ['GET', ''],
      ['POST', '/rotate-secret'],
      ['POST', '/enable'],
      ['GET', '/attempts'],
      ['POST', '/replay', JSON.stringify({ since: '2026-01-01T00:00:00Z' })],
    ];
    for (const [method, suffix, body] of routes) {
      const theirs = await call(method, `/v1/webhooks/endpoints/${endpointA}${suffix}`, as(keyB), body);
      const missing = await call(method, `/v1/webhooks/endpoints/${ghost}${suffix}`, as(keyB), body);
      expect(theirs.status, `${method} ${suffix}`).toBe(404);
      expect(shapeOf(theirs, endpointA, 'ID')).toEqual(shapeOf(missing, ghost, 'ID'));
    }
    const listed = await call('GET', '/v1/webhooks/endpoints', as(keyB));
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(endpointA);
    // A still sees its endpoint, secret not rotated by B's attempt.
    const own = await call('GET', `/v1/webhooks/endpoints/${endpointA}`, as(keyA));
    expect(own.status).toBe(200);
  });

  test('B cannot replay events of A’s job', async () => {
    const sentBefore = h.publisher.sent.length;
    const theirs = await call('POST', `/v1/webhooks/jobs/${jobA.id}/replay`, as(keyB));
    const ghost = `job_${'0'.repeat(32)}`;
    const missing = await call('POST', `/v1/webhooks/jobs/${ghost}/replay`, as(keyB));
    expect(theirs.status).toBe(404);
    expect(shapeOf(theirs, jobA.id, 'ID')).toEqual(shapeOf(missing, ghost, 'ID'));
    expect(h.publisher.sent.length).toBe(sentBefore);
  });
});

describe('limits and usage are per tenant', () => {
  test('A exhausting its submission rate does not cost B anything', async () => {
    const auth = { authorization: `Bearer ${await h.adminToken()}` };
    const patched = await call(
      'PATCH',
      '/v1/admin/tenants/tenant-a',
      auth,
      JSON.stringify({ quotas: { submissionsPerMinute: 3 } }),
    );
    expect(patched.status).toBe(200);
    // The tenant record is cached for up to 30 s on the hot path; a fresh tenant shows the limit at once.
    keyA = await h.addTenant({
      id: 'tenant-a2',
      name: 'A2',
      allowedModels: ['*'],
      quotas: { submissionsPerMinute: 3 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push((await call('POST', '/v1/jobs', as(keyA), jobBody(`a${i}`))).status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    const b = await call('POST', '/v1/jobs', as(keyB), jobBody('b after flood'));
    expect(b.status).toBe(202);
  });
});
