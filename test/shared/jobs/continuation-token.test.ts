/**
 * List continuation tokens through the real HTTP API (dev host, embedded Cosmos DB): opaque, bound to the
 * tenant and the filter, and anything else is a 400 naming `continuationToken`, never a 500 and never
 * silently ignored.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealContinuationToken } from '../../../shared/jobs/continuation-token.js';
import { apiCaller, as, expectRefused } from '../../security/edge-client.js';
import { jobBody, startHarness, type Harness } from '../../security/http-harness.js';

let h: Harness;
let keyA: string;
let keyB: string;
const call = apiCaller(() => h.apiUrl);

beforeAll(async () => {
  h = await startHarness();
  const tenant = { name: 'x', allowedModels: ['*'] };
  keyA = await h.addTenant({ id: 'pages-a', ...tenant });
  keyB = await h.addTenant({ id: 'pages-b', ...tenant });
  for (const key of [keyA, keyB]) {
    for (let i = 0; i < 3; i += 1) {
      expect((await call('POST', '/v1/jobs', as(key), jobBody(`page ${i}`))).status).toBe(202);
    }
  }
}, 60_000);

afterAll(() => h?.close());

describe('continuation tokens are opaque and checked', () => {
  async function firstToken(key: string, query = ''): Promise<string> {
    const page = await call('GET', `/v1/jobs?limit=1${query}`, as(key));
    expect(page.status).toBe(200);
    return String(page.body.continuationToken);
  }

  test('the token is opaque and pages through every job once', async () => {
    const token = await firstToken(keyA);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await call(
        'GET',
        `/v1/jobs?limit=2${next ? `&continuationToken=${encodeURIComponent(next)}` : ''}`,
        as(keyA),
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...(page.body.jobs as { id: string }[]).map((j) => j.id));
      next = page.body.continuationToken as string | undefined;
    } while (next);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(3);
  });

  test('JSON-shaped, non-JSON and garbage tokens are a 400 naming continuationToken', async () => {
    const tokens = [
      '{}',
      '[1]',
      '"x"',
      '1',
      '{"token":"x"}',
      '{"token":"+RID:x","range":{"min":"","max":"FF"}}',
      'garbage',
      'not json at all',
      '%%%',
    ];
    for (const token of tokens) {
      const reply = await call('GET', `/v1/jobs?continuationToken=${encodeURIComponent(token)}`, as(keyA));
      expectRefused(reply, 'continuationToken', token);
    }
  });

  test('a tampered token is a 400', async () => {
    const token = await firstToken(keyA);
    const flipped = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    const reply = await call('GET', `/v1/jobs?continuationToken=${encodeURIComponent(flipped)}`, as(keyA));
    expectRefused(reply, 'continuationToken', 'tampered');
  });

  test('a token built to pass the check but carrying a store token Cosmos DB refuses is a 400', async () => {
    const forged = sealContinuationToken('{}', { tenantId: 'pages-a', filter: '' });
    const reply = await call('GET', `/v1/jobs?continuationToken=${encodeURIComponent(forged)}`, as(keyA));
    expectRefused(reply, 'continuationToken', 'forged');
  });

  test('another tenant’s token is a 400, not a page', async () => {
    const theirs = await firstToken(keyB);
    const reply = await call('GET', `/v1/jobs?continuationToken=${encodeURIComponent(theirs)}`, as(keyA));
    expectRefused(reply, 'continuationToken', 'tenant B’s token');
  });

  test('a token from another filter is a 400', async () => {
    const queued = await firstToken(keyA, '&status=queued');
    const reply = await call('GET', `/v1/jobs?continuationToken=${encodeURIComponent(queued)}`, as(keyA));
    expectRefused(reply, 'continuationToken', 'other filter');
    const same = await call(
      'GET',
      `/v1/jobs?status=queued&continuationToken=${encodeURIComponent(queued)}`,
      as(keyA),
    );
    expect(same.status).toBe(200);
  });
});
