/**
 * `POST /api/v1/batches` for a suspended tenant, through the real HTTP API (dev host, real handlers,
 * embedded Cosmos DB): refused with 403 in OpenAI's error shape, as its job submissions are, instead of a
 * batch whose lines could never run. Reads stay open to it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCaller, as } from '../../security/edge-client.js';
import { startHarness, type Harness } from '../../security/http-harness.js';

let h: Harness;
let key: string;
const call = apiCaller(() => h.apiUrl);

beforeAll(async () => {
  // Suspended before its first request, so no cached copy of the tenant predates it.
  h = await startHarness();
  key = await h.addTenant({ id: 'batch-suspended', name: 'suspended', allowedModels: ['*'] });
  const stored = (await h.services.security.tenants.get('batch-suspended'))!;
  await h.services.security.tenants.replace({ ...stored.tenant, status: 'suspended' }, stored.etag);
}, 60_000);

afterAll(() => h?.close());

describe('POST /v1/batches', () => {
  test('refuses a suspended tenant with 403, and lets it list its batches', async () => {
    const reply = await call('POST', '/v1/batches', as(key), {
      input_file_id: `file-${'0'.repeat(32)}`,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(403);
    expect(reply.body).toMatchObject({ status: 403, error: { type: expect.any(String) as string } });
    expect((await call('GET', '/v1/batches', as(key))).status).toBe(200);
  });
});
