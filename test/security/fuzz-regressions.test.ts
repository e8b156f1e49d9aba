/**
 * The exact inputs test/security/fuzz-routes.test.ts found, through the real HTTP API, each failing before
 * its fix: a continuation token that passes the check but carries a store token node cannot put in a
 * header (500), and a body of 20,000 unknown keys answered with every key listed (an 889 KB problem).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealContinuationToken } from '../../shared/jobs/continuation-token.js';
import { startHarness, type Harness } from './http-harness.js';

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness();
  // The token below is bound to this tenant id: the fuzz's tenant.
  key = await h.addTenant({
    id: 'fuzz-a',
    name: 'A',
    allowedModels: ['m'],
    quotas: { maxRequestBytes: 1 << 20 },
  });
}, 60_000);

afterAll(() => h?.close());

async function call(method: string, path: string, body?: string) {
  const response = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers: { 'api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), text };
}

describe('continuation tokens whose store token is not a valid header value', () => {
  test('AA.7lVJ3JoCq5SFLr0no9Tw0Q (a NUL sealed for fuzz-a) is a 400 naming continuationToken, not a 500', async () => {
    const reply = await call('GET', '/v1/jobs?continuationToken=AA.7lVJ3JoCq5SFLr0no9Tw0Q');
    expect(reply.status, reply.text).toBe(400);
    expect(reply.type).toBe('application/problem+json');
    expect(JSON.parse(reply.text)).toMatchObject({ errors: [{ field: 'continuationToken' }] });
  });

  test.each([
    ['CR LF', '{"token":"x"}\r\nx-injected: 1'],
    ['past Latin-1', '{"token":"é€"}'],
    ['a control character', '\u0001'],
  ])('%s: 400', async (_label, storeToken) => {
    const token = sealContinuationToken(storeToken, { tenantId: 'fuzz-a', filter: '' });
    const reply = await call('GET', `/v1/jobs?continuationToken=${encodeURIComponent(token)}`);
    expect(reply.status, reply.text).toBe(400);
  });
});

describe('a body of 20,000 unknown keys', () => {
  const body = JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])));

  test.each([
    ['POST', '/v1/jobs'],
    ['POST', `/v1/webhooks/jobs/job_${'0'.repeat(32)}/replay`],
  ])('%s %s: a 400 listing the first problems, a few KB, not one entry per key', async (method, path) => {
    const reply = await call(method, path, body);
    expect(reply.status).toBe(400);
    expect(reply.text.length).toBeLessThan(8_192);
    const problem = JSON.parse(reply.text) as { errors: { field: string; message: string }[] };
    expect(problem.errors.length).toBeLessThanOrEqual(21);
    expect(problem.errors.at(-1)?.message).toMatch(/more problems not listed/);
  });
});
