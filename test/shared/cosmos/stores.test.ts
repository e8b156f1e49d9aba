/**
 * The Cosmos implementations against the embedded Cosmos DB through the real @azure/cosmos SDK, and
 * the same contract run against the in-memory fakes, so the fakes cannot drift from the real thing.
 * The rate limiter is exercised by several "instances" (separate SDK clients) racing on one bucket.
 */
import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiKeyStore } from '../../../shared/auth/api-key-store.js';
import { InMemoryApiKeyStore } from '../../fakes/memory-api-key-store.js';
import { createApiKeyVerifier, generateApiKey, parseApiKey } from '../../../shared/auth/api-keys.js';
import { CosmosApiKeyStore } from '../../../shared/cosmos/api-key-store.js';
import { ConflictError } from '../../../shared/errors/index.js';
import { CosmosJobUsage } from '../../../shared/cosmos/job-usage.js';
import { CosmosRateLimiter } from '../../../shared/cosmos/rate-limiter.js';
import { CosmosTenantStore } from '../../../shared/cosmos/tenant-store.js';
import type { TenantStore } from '../../../shared/tenancy/store.js';
import { startCosmosFleet, type CosmosFleet } from '../../fakes/embedded-cosmos-fleet.js';
import { InMemoryTenantStore } from '../../fakes/memory-tenant-store.js';
import { tenantFixture } from '../../security/tenants-fixture.js';

let cosmos: CosmosFleet;
/** The client of the single-instance tests. */
let client: CosmosClient;

const container = (client: CosmosClient, name: string): Container =>
  client.database('prompt-pipeline').container(name);

beforeAll(async () => {
  cosmos = await startCosmosFleet();
  client = cosmos.client();
});

afterAll(() => cosmos.close());

const NOW = new Date('2026-11-25T20:00:00Z');

const tenantStores: [string, () => TenantStore][] = [
  ['in-memory', () => new InMemoryTenantStore()],
  ['cosmos', () => new CosmosTenantStore(container(client, 'tenants'))],
];

describe.each(tenantStores)('tenant store (%s)', (_name, make) => {
  test('create, get, ETag-guarded replace, list', async () => {
    const store = make();
    const id = `t-${Math.random().toString(36).slice(2, 10)}`;
    const created = await store.create(tenantFixture(id));
    await expect(store.create(tenantFixture(id))).rejects.toBeInstanceOf(ConflictError);
    const read = await store.get(id);
    expect(read?.tenant).toEqual(tenantFixture(id));
    expect(read?.etag).toBe(created.etag);

    const renamed = await store.replace({ ...read!.tenant, name: 'Renamed' }, read!.etag);
    expect(renamed.etag).not.toBe(read!.etag);
    // A second writer holding the old ETag loses instead of overwriting.
    await expect(store.replace({ ...read!.tenant, name: 'Stale' }, read!.etag)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await store.get(id))?.tenant.name).toBe('Renamed');
    expect((await store.list()).map((t) => t.id)).toContain(id);
    expect(await store.get('no-such-tenant')).toBeUndefined();
  });
});

const keyStores: [string, () => ApiKeyStore][] = [
  ['in-memory', () => new InMemoryApiKeyStore()],
  ['cosmos', () => new CosmosApiKeyStore(container(client, 'tenants'))],
];

describe.each(keyStores)('API key store (%s)', (_name, make) => {
  test('issue, verify by point read, list per tenant, revoke idempotently', async () => {
    const store = make();
    const tenantId = `k-${Math.random().toString(36).slice(2, 10)}`;
    const a = generateApiKey({ tenantId, env: 'test', name: 'a', now: NOW });
    const b = generateApiKey({ tenantId, env: 'test', name: 'b', now: new Date(NOW.getTime() + 1000) });
    const other = generateApiKey({ tenantId: `${tenantId}-other`, env: 'test', name: 'o', now: NOW });
    for (const k of [a, b, other]) await store.create(k.record);
    await expect(store.create(a.record)).rejects.toBeInstanceOf(ConflictError);

    let clock = NOW.getTime();
    const verifier = createApiKeyVerifier({ store, expectedEnv: 'test', clock: () => clock });
    await expect(verifier.verify(a.key)).resolves.toMatchObject({ tenantId, keyId: a.record.keyId });
    expect((await store.listByTenant(tenantId)).map((r) => r.name)).toEqual(['a', 'b']);

    const revoked = await store.revoke(a.record.keyId, NOW);
    expect(revoked?.revokedAt).toBe(NOW.toISOString());
    const again = await store.revoke(a.record.keyId, new Date(NOW.getTime() + 5000));
    expect(again?.revokedAt).toBe(NOW.toISOString());
    // Revocation reaches a verifier that has just verified the key within its cache TTL (10 s).
    clock += 10_001;
    await expect(verifier.verify(a.key)).rejects.toThrow('invalid or revoked');
    await expect(verifier.verify(b.key)).resolves.toBeDefined();
    expect(await store.revoke('0'.repeat(24), NOW)).toBeUndefined();
  });
});

test('the Cosmos key document holds the hash, never the secret', async () => {
  const tenants = container(client, 'tenants');
  const issued = generateApiKey({ tenantId: 'doc-check', env: 'test', name: 'n', now: NOW });
  await new CosmosApiKeyStore(tenants).create(issued.record);
  const id = `apikey:${issued.record.keyId}`;
  const { resource } = await tenants.item(id, id).read<Record<string, unknown>>();
  expect(resource).toMatchObject({ id, type: 'apiKey', tenantId: 'doc-check', hash: issued.record.hash });
  // The secret itself may contain '_' (base64url), so take it from the parser, not from split('_').
  expect(JSON.stringify(resource)).not.toContain(parseApiKey(issued.key)!.secret.slice(0, 20));
});

describe('Cosmos rate limiter shared by instances', () => {
  test('four instances racing on one tenant admit exactly the limit, whatever the interleaving', async () => {
    const instances = Array.from(
      { length: 4 },
      () => new CosmosRateLimiter(container(cosmos.client(), 'tenants')),
    );
    const tenantId = `rl-${Math.random().toString(36).slice(2, 10)}`;
    const windowStart = Math.floor(NOW.getTime() / 60_000) * 60_000;
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        instances[i % instances.length]!.consume(tenantId, 20, windowStart + 1_000),
      ),
    );
    // One conditional patch per attempt, applied atomically by Cosmos: no lost updates, no retries.
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    for (const d of decisions) if (!d.allowed) expect(d.retryAfterMs).toBeGreaterThan(0);

    // Next window: the previous 20 still weigh (20 * 0.5 at half-time), so only 10 more fit then.
    const later = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        instances[i % 4]!.consume(tenantId, 20, windowStart + 60_000 + 30_000),
      ),
    );
    expect(later.filter((d) => d.allowed)).toHaveLength(10);
    // Another tenant has its own counters.
    expect((await instances[2]!.consume(`${tenantId}-b`, 20, windowStart + 1_000)).allowed).toBe(true);
  });
});

describe('Cosmos job usage (in flight, daily tokens)', () => {
  test('counts only the tenant’s queued jobs and sums only today’s completed usage', async () => {
    const jobs = container(client, 'jobs');
    const doc = (tenantId: string, id: string, extra: Record<string, unknown>) => ({
      id,
      tenantId,
      status: 'queued',
      createdAt: '2026-11-25T10:00:00.000Z',
      ...extra,
    });
    const docs = [
      doc('usage-a', 'j1', {}),
      doc('usage-a', 'j2', {}),
      doc('usage-a', 'j3', {
        status: 'succeeded',
        completedAt: '2026-11-25T11:00:00.000Z',
        usage: { totalTokens: 700 },
      }),
      doc('usage-a', 'j4', {
        status: 'failed',
        completedAt: '2026-11-25T12:00:00.000Z',
        usage: { totalTokens: 300 },
      }),
      doc('usage-a', 'j5', {
        status: 'succeeded',
        completedAt: '2026-11-24T23:59:59.000Z',
        usage: { totalTokens: 9000 },
      }),
      doc('usage-a', 'j6', { status: 'cancelled', completedAt: '2026-11-25T13:00:00.000Z' }),
      doc('usage-b', 'j1', {}),
      doc('usage-b', 'j7', {
        status: 'succeeded',
        completedAt: '2026-11-25T11:00:00.000Z',
        usage: { totalTokens: 5000 },
      }),
    ];
    for (const d of docs) await jobs.items.create(d);
    const usage = new CosmosJobUsage(jobs);
    expect(await usage.countInFlight('usage-a')).toBe(2);
    expect(await usage.countInFlight('usage-b')).toBe(1);
    expect(await usage.countInFlight('usage-none')).toBe(0);
    const day = new Date('2026-11-25T00:00:00Z');
    expect(await usage.tokensUsedSince('usage-a', day)).toBe(1000);
    expect(await usage.tokensUsedSince('usage-b', day)).toBe(5000);
    expect(await usage.tokensUsedSince('usage-none', day)).toBe(0);
  });
});
