/**
 * Fuzzing the real HTTP API (dev host, real handlers, embedded Cosmos) with fast-check: thousands of
 * generated bodies, headers, credentials, paths and methods. Invariants for every single response:
 * never a 5xx, errors are always RFC 9457 problem+json whose `status` matches the response and which
 * carries no stack trace; and nothing anywhere produces an unhandled promise rejection.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './http-harness.js';

let h: Harness;
let key: string;
let adminAuth: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let requests = 0;
const statuses = new Map<number, number>();

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  h = await startHarness();
  key = await h.addTenant({
    id: 'fuzz',
    name: 'Fuzz',
    allowedModels: ['gpt-4o-mini', 'm'],
    quotas: {
      submissionsPerMinute: 100_000,
      maxJobsInFlight: 100_000,
      maxMessages: 8,
      maxRequestBytes: 64 * 1024,
    },
  });
  adminAuth = `Bearer ${await h.adminToken()}`;
}, 60_000);

afterAll(async () => {
  await h?.close();
  process.off('unhandledRejection', onUnhandled);
  // Reported here so a rejection from any request fails the suite even if it surfaced late.
  expect(unhandled).toEqual([]);
  console.info('fuzz requests by status', Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
  expect(requests).toBeGreaterThanOrEqual(2800);
  // The generators must reach the deep path (accepted jobs) and the refusals, not only the parser.
  expect(statuses.get(202) ?? 0).toBeGreaterThan(50);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
});

async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): Promise<void> {
  requests += 1;
  const response = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
  });
  const text = await response.text();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const context = `${method} ${path} -> ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, context).toBeLessThan(500);
  expect(text, context).not.toMatch(/\n\s+at /);
  if (response.status >= 400) {
    expect(response.headers.get('content-type'), context).toBe('application/problem+json');
    const problem = JSON.parse(text) as { status?: unknown; title?: unknown; code?: unknown };
    expect(problem.status, context).toBe(response.status);
    expect(typeof problem.title, context).toBe('string');
  }
}

// ── generators ───────────────────────────────────────────────────────────────────────────────────
const anyText = fc.string({ unit: 'binary', maxLength: 200 });
const role = fc.constantFrom('user', 'system', 'assistant', 'developer', 'tool', '', 'USER');
const content = fc.oneof(
  anyText,
  fc.constant(''),
  fc.array(
    fc.record({ type: fc.constantFrom('text', 'image_url', ''), text: anyText }, { requiredKeys: [] }),
    { maxLength: 3 },
  ),
  fc.integer(),
  fc.constant(null),
);
const nearlyValidJob = fc
  .record(
    {
      model: fc.oneof(fc.constantFrom('gpt-4o-mini', 'm', 'not-allowed', '', '../etc'), anyText),
      messages: fc.oneof(
        fc.array(fc.record({ role, content, name: anyText }, { requiredKeys: ['role'] }), { maxLength: 12 }),
        anyText,
        fc.constant(null),
      ),
      temperature: fc.oneof(fc.double(), fc.constant('1')),
      top_p: fc.double(),
      max_tokens: fc.oneof(fc.integer(), fc.double()),
      seed: fc.oneof(fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER)),
      stop: fc.oneof(anyText, fc.array(anyText, { maxLength: 6 })),
      response_format: fc.oneof(
        fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema', 'xml') }),
        fc.record({
          type: fc.constant('json_schema'),
          json_schema: fc.record(
            { name: anyText, schema: fc.jsonValue({ maxDepth: 3 }), strict: fc.boolean() },
            { requiredKeys: [] },
          ),
        }),
      ),
      metadata: fc.dictionary(anyText, fc.oneof(anyText, fc.integer()), { maxKeys: 20 }),
      webhook_endpoint_id: anyText,
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value));

/** Schema-valid jobs with random content, so the deep path (gate, Cosmos, accept) is fuzzed too. */
const validJob = fc
  .record(
    {
      model: fc.constantFrom('gpt-4o-mini', 'm', 'not-allowed'),
      messages: fc.array(
        fc.record({
          role: fc.constantFrom('user', 'system', 'developer'),
          content: anyText.filter((t) => t.length > 0),
        }),
        { minLength: 1, maxLength: 10 },
      ),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      max_tokens: fc.integer({ min: 1, max: 128_000 }),
      metadata: fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), anyText, { maxKeys: 4 }),
    },
    { requiredKeys: ['model', 'messages'] },
  )
  .map((value) => JSON.stringify(value));

const hostileJson = fc.constantFrom(
  '{"__proto__":{"admin":true},"model":"m","messages":[{"role":"user","content":"x"}]}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"a":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`,
  '{"model":"m","messages":[{"role":"user","content":"\\ud800"}]}',
  '{"model":"m","messages":[' +
    '{"role":"user","content":"x"},'.repeat(300) +
    '{"role":"user","content":"x"}]}',
  'null',
  '[]',
  '"string"',
  '1e999999',
  '{"model":"m","messages":[{"role":"user","content":"' + 'x'.repeat(70 * 1024) + '"}]}',
);

const body = fc.oneof(
  { weight: 4, arbitrary: validJob },
  { weight: 4, arbitrary: nearlyValidJob },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: hostileJson },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
);

const headerName = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,24}$/)
  .filter(
    (name) =>
      ![
        'host',
        'content-length',
        'connection',
        'transfer-encoding',
        'keep-alive',
        'upgrade',
        'expect',
        'te',
        'trailer',
      ].includes(name),
  );
const headerValue = fc
  .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 })
  .map((v) => v.trim());

const jwtLike = fc
  .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 60 }))
  .map(
    ([header, payload, signature]) =>
      [JSON.stringify(header), JSON.stringify(payload)]
        .map((part) => Buffer.from(part).toString('base64url'))
        .join('.') + `.${signature}`,
  );
const credential = (): fc.Arbitrary<Record<string, string>> =>
  fc.oneof(
    fc.constant({ 'api-key': key }),
    fc.constant({ authorization: `Bearer ${key}` }),
    fc.constant({}),
    headerValue.map((v) => ({ 'api-key': v })),
    headerValue.map((v) => ({ authorization: v })),
    jwtLike.map((t) => ({ authorization: `Bearer ${t}` })),
    fc.constant({ authorization: adminAuth }),
    fc.constant({ authorization: adminAuth, 'api-key': key }),
  );

const idSegment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  anyText.filter((s) => s.length > 0).map((s) => encodeURIComponent(s)),
  fc.constantFrom('..', '%2e%2e', '%00', 'null', 'undefined', '__proto__', 'constructor'),
);

// ── properties ───────────────────────────────────────────────────────────────────────────────────
describe('fuzzing the HTTP API', () => {
  test('POST /v1/jobs with generated bodies and content types (1100 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.option(headerValue), async (payload, type, idempotencyKey) => {
        await send(
          'POST',
          '/v1/jobs',
          {
            'api-key': key,
            ...(type ? { 'content-type': type } : {}),
            ...(idempotencyKey !== null ? { 'idempotency-key': idempotencyKey } : {}),
          },
          payload,
        );
      }),
      { numRuns: 1100 },
    );
  }, 180_000);

  test('POST /v1/jobs/batch and admin writes with generated bodies (600 runs)', async () => {
    const batchBody = fc.oneof(
      fc
        .array(
          fc.record(
            { job: nearlyValidJob.map((j) => JSON.parse(j) as unknown), idempotency_key: anyText },
            { requiredKeys: [] },
          ),
          { maxLength: 5 },
        )
        .map((jobs) => JSON.stringify({ jobs })),
      body,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ['POST', '/v1/jobs/batch', { 'api-key': key }],
          ['POST', '/v1/admin/tenants', { authorization: adminAuth }],
          ['PATCH', '/v1/admin/tenants/fuzz-target', { authorization: adminAuth }],
          ['POST', '/v1/admin/tenants/fuzz/keys', { authorization: adminAuth }],
          ['POST', '/v1/webhooks/endpoints', { 'api-key': key }],
        ),
        batchBody,
        async ([method, path, auth], payload) => {
          await send(method, path, { ...auth, 'content-type': 'application/json' }, payload);
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);

  test('generated headers and credentials on every route (600 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        credential(),
        fc.dictionary(headerName, headerValue, { maxKeys: 12 }),
        fc.constantFrom(
          ['GET', '/v1/jobs'],
          ['POST', '/v1/jobs'],
          ['GET', '/v1/jobs/x'],
          ['POST', '/v1/jobs/x/cancel'],
          ['GET', '/v1/admin/tenants'],
          ['GET', '/v1/webhooks/endpoints'],
          ['GET', '/health'],
        ),
        async (auth, extra, [method, path]) => {
          await send(
            method,
            path,
            { ...extra, ...auth, 'content-type': 'application/json' },
            '{"model":"m","messages":[{"role":"user","content":"hi"}]}',
          );
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);

  test('generated ids, query strings and methods (500 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
        fc.constantFrom(
          '/v1/jobs/{id}',
          '/v1/jobs/{id}/cancel',
          '/v1/admin/tenants/{id}',
          '/v1/admin/tenants/{id}/keys',
          '/v1/admin/tenants/fuzz/keys/{id}/revoke',
          '/v1/webhooks/endpoints/{id}',
          '/v1/webhooks/jobs/{id}/replay',
        ),
        idSegment,
        fc.dictionary(fc.constantFrom('status', 'limit', 'continuationToken', 'x', 'deliveryId'), anyText, {
          maxKeys: 3,
        }),
        fc.boolean(),
        async (method, template, id, query, asAdmin) => {
          const search = new URLSearchParams(query).toString();
          await send(
            method,
            `${template.replace('{id}', id)}${search ? `?${search}` : ''}`,
            asAdmin ? { authorization: adminAuth } : { 'api-key': key },
            method === 'GET' ? undefined : '{}',
          );
        },
      ),
      { numRuns: 500 },
    );
  }, 120_000);
});
