/**
 * Admission cost against the embedded Cosmos DB through the real SDK: every request a client sends is
 * counted by an SDK request plugin, so the per-submission figures below are what Cosmos DB would see.
 * - Rate limit by leased chunks: several limiter instances (separate clients, one container) never
 *   admit more than the limit in a window, strand only a bounded number of tokens, and write about
 *   once per chunk instead of once per submission.
 * - Jobs in flight: one COUNT per tenant per instance per cache TTL, exact within an instance.
 * - The whole submission gate over Cosmos: 0 queries and well under one write per submission.
 */
import { CosmosClient, type Container, type CosmosClientOptions, type PluginConfig } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refusalOf } from '../../fakes/refusal.js';
import {
  ensureCosmosResources,
  startEmbeddedCosmos,
  type EmbeddedCosmos,
} from '../../../local/cosmos/index.js';
import type { Principal } from '../../../shared/auth/principal.js';
import { RateLimitedError } from '../../../shared/errors/index.js';
import { CachedInFlightCounter } from '../../../shared/tenancy/cached-in-flight.js';
import { CosmosJobUsage } from '../../../shared/cosmos/job-usage.js';
import { CosmosRateLimiter, maxChunkFor } from '../../../shared/cosmos/rate-limiter.js';
import { checkInFlightLimit, type InFlightCounter } from '../../../shared/tenancy/in-flight.js';
import { createTenant } from '../../../shared/tenancy/admin.js';
import { createCosmosSecurityServices } from '../../../shared/cosmos/security-services.js';

interface Request {
  readonly operation: string;
  readonly path: string;
}

let cosmos: EmbeddedCosmos;
const clients: CosmosClient[] = [];

/** One "instance": its own client, with every document request it sends recorded. */
function newInstance(): { client: CosmosClient; requests: Request[] } {
  const requests: Request[] = [];
  const plugins: PluginConfig[] = [
    {
      on: 'request',
      plugin: (context, diagnosticNode, next) => {
        if (String(context.resourceType) === 'docs') {
          requests.push({ operation: String(context.operationType), path: context.path ?? '' });
        }
        return next(context);
      },
    },
  ];
  // `plugins` is a real CosmosClient option the SDK marks @hidden, so it is not in the public type.
  const options: CosmosClientOptions & { plugins: PluginConfig[] } = {
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    connectionPolicy: { enableEndpointDiscovery: false },
    plugins,
  };
  const client = new CosmosClient(options);
  clients.push(client);
  return { client, requests };
}

const container = (client: CosmosClient, name: string): Container =>
  client.database('prompt-pipeline').container(name);

const uniqueTenant = (prefix: string): string => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
const WINDOW_START = Math.floor(Date.parse('2026-11-25T20:00:00Z') / 60_000) * 60_000;

beforeAll(async () => {
  cosmos = await startEmbeddedCosmos();
  await ensureCosmosResources(newInstance().client);
});

afterAll(async () => {
  for (const client of clients) client.dispose();
  await cosmos.close();
});

async function counterValue(tenants: Container, tenantId: string, window: number): Promise<number> {
  const id = `ratelimit:${tenantId}:${window}`;
  const { resource } = await tenants.item(id, id).read<{ count: number }>();
  return resource?.count ?? 0;
}

describe('rate limit by leased chunks', () => {
  test('chunk size: 1 for small limits, limit/20 up to the configured maximum', () => {
    expect(maxChunkFor(10)).toBe(1);
    expect(maxChunkFor(60)).toBe(3);
    expect(maxChunkFor(400)).toBe(10);
    expect(maxChunkFor(100_000)).toBe(10);
    expect(maxChunkFor(100_000, 50)).toBe(50);
  });

  test('two instances racing never admit more than the limit, and write about once per chunk', async () => {
    const a = newInstance();
    const b = newInstance();
    const limiters = [a, b].map((i) => new CosmosRateLimiter(container(i.client, 'tenants')));
    const tenantId = uniqueTenant('lease');
    const limit = 400;
    let admitted = 0;
    let refused = 0;
    // 45 waves of 20 concurrent submissions (10 per instance), all inside one window: 900 offered.
    for (let wave = 0; wave < 45; wave += 1) {
      const decisions = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          limiters[i % 2]!.consume(tenantId, limit, WINDOW_START + 1_000 + wave * 100),
        ),
      );
      for (const d of decisions) {
        if (d.allowed) admitted += 1;
        else {
          refused += 1;
          expect(d.retryAfterMs).toBeGreaterThan(0);
        }
      }
    }
    const counted = await counterValue(container(a.client, 'tenants'), tenantId, WINDOW_START / 60_000);
    // Exact: never over the limit, and never more admitted than leased.
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(counted);
    expect(counted).toBeLessThanOrEqual(limit);
    // Bounded under-admission: at most chunk - 1 stranded per instance.
    expect(admitted).toBeGreaterThanOrEqual(limit - 2 * (maxChunkFor(limit) - 1));
    expect(admitted + refused).toBe(900);

    const requests = [...a.requests, ...b.requests].filter((r) => r.path.includes(tenantId));
    const writes = requests.filter((r) => r.operation === 'patch' || r.operation === 'create');
    // One patch per submission before; now the leases grow 1, 2, 4, 8, 10 and shrink near the cap.
    expect(writes.length).toBeLessThanOrEqual(admitted / 4);
    // The 500 refusals are answered from the instances' remembered refusal: a few reads, no more.
    expect(requests.length - writes.length).toBeLessThanOrEqual(12);
  });

  test('many quiet instances strand little: leases shrink to one token near the cap', async () => {
    const instances = Array.from({ length: 6 }, () => newInstance());
    const limiters = instances.map((i) => new CosmosRateLimiter(container(i.client, 'tenants')));
    const tenantId = uniqueTenant('quiet');
    const limit = 200;
    let admitted = 0;
    // Round-robin, one submission at a time: every instance keeps a partly used chunk.
    for (let i = 0; i < 300; i += 1) {
      const d = await limiters[i % limiters.length]!.consume(tenantId, limit, WINDOW_START + 2_000 + i);
      if (d.allowed) admitted += 1;
    }
    expect(admitted).toBeLessThanOrEqual(limit);
    // Near the cap each lease is one token, so at most one instance-chunk of the tail is stranded.
    expect(admitted).toBeGreaterThanOrEqual(limit - limiters.length);
  });

  test('the next window still weighs the previous count, leases included', async () => {
    const instances = [newInstance(), newInstance()];
    const limiters = instances.map((i) => new CosmosRateLimiter(container(i.client, 'tenants')));
    const tenantId = uniqueTenant('slide');
    const limit = 200;
    const fire = async (atMs: number, count: number): Promise<number> => {
      const decisions = await Promise.all(
        Array.from({ length: count }, (_, i) => limiters[i % 2]!.consume(tenantId, limit, atMs)),
      );
      return decisions.filter((d) => d.allowed).length;
    };
    let first = 0;
    for (let wave = 0; wave < 15; wave += 1) first += await fire(WINDOW_START + 1_000 + wave, 20);
    const previous = await counterValue(
      container(instances[0]!.client, 'tenants'),
      tenantId,
      WINDOW_START / 60_000,
    );
    expect(first).toBeLessThanOrEqual(limit);
    // Half-way through the next window the previous count (leased tokens included) weighs half.
    let second = 0;
    for (let wave = 0; wave < 15; wave += 1) second += await fire(WINDOW_START + 60_000 + 30_000, 20);
    expect(second).toBeLessThanOrEqual(Math.ceil(limit - previous * 0.5));
    expect(second).toBeGreaterThan(0);
  });

  test('submissions interleaved across a window boundary stay within each window’s cap', async () => {
    const instance = newInstance();
    const limiter = new CosmosRateLimiter(container(instance.client, 'tenants'));
    const tenantId = uniqueTenant('edge');
    const limit = 200;
    const oldAt = WINDOW_START + 59_990;
    const newAt = WINDOW_START + 60_010;
    // Warm the old window so its chunk is large, then interleave old and new in one burst.
    for (let i = 0; i < 150; i += 1) await limiter.consume(tenantId, limit, oldAt);
    const decisions = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        limiter.consume(tenantId, limit, i % 2 === 0 ? oldAt : newAt).then((d) => ({ d, old: i % 2 === 0 })),
      ),
    );
    const tenants = container(instance.client, 'tenants');
    const oldCount = await counterValue(tenants, tenantId, WINDOW_START / 60_000);
    const newCount = await counterValue(tenants, tenantId, WINDOW_START / 60_000 + 1);
    const admitted = 150 + decisions.filter((x) => x.d.allowed).length;
    // Every admission was leased in one of the two counters, and the new window's counter respects
    // the old window's FINAL count: stragglers stamped before the boundary that arrive after this
    // instance moved on count in the new window, and old leases in flight land before it reads them.
    expect(admitted).toBeLessThanOrEqual(oldCount + newCount);
    expect(oldCount).toBeLessThanOrEqual(limit);
    expect(newCount).toBeLessThanOrEqual(Math.ceil(limit - oldCount * (1 - 10 / 60_000)));
    expect(decisions.some((x) => !x.d.allowed)).toBe(true);
  });

  test('a Cosmos error fails the submissions that met it; waiters neither hang nor leak it', async () => {
    const broken = new CosmosRateLimiter(newInstance().client.database('no-such-db').container('tenants'));
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => broken.consume(uniqueTenant('err'), 100, WINDOW_START + 1_000)),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });

  test('a raised limit takes effect at once, despite a remembered refusal', async () => {
    const limiter = new CosmosRateLimiter(container(newInstance().client, 'tenants'));
    const tenantId = uniqueTenant('raise');
    const at = WINDOW_START + 5_000;
    for (let i = 0; i < 5; i += 1) expect((await limiter.consume(tenantId, 5, at)).allowed).toBe(true);
    expect((await limiter.consume(tenantId, 5, at)).allowed).toBe(false);
    expect((await limiter.consume(tenantId, 10, at + 1)).allowed).toBe(true);
  });
});

describe('jobs in flight from a cached count', () => {
  async function seedQueued(jobs: Container, tenantId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await jobs.items.create({
        id: `j${i}`,
        tenantId,
        status: 'queued',
        createdAt: new Date().toISOString(),
      });
    }
  }

  test('one COUNT per TTL; local admissions are added; concurrent admissions in one instance are exact', async () => {
    const instance = newInstance();
    const jobs = container(instance.client, 'jobs');
    const tenantId = uniqueTenant('inflight');
    await seedQueued(jobs, tenantId, 3);
    let clock = 1_000_000;
    const counter = new CachedInFlightCounter(new CosmosJobUsage(jobs), 2_000, () => clock);
    const queries = () => instance.requests.filter((r) => r.operation === 'query').length;
    const before = queries();
    // Limit 10 with 3 queued: 20 concurrent submissions, exactly 7 pass, on one shared query.
    const results = await Promise.all(
      Array.from({ length: 20 }, () => checkInFlightLimit(counter, tenantId, 10)),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(7);
    for (const r of results) {
      if (r !== undefined) expect(r.reason).toBe('rate_limited');
    }
    expect(queries() - before).toBe(1);
    expect(await counter.countInFlight(tenantId)).toBe(10);

    // Jobs finished meanwhile: seen after the TTL, with one more query.
    clock += 1_999;
    expect(await refusalOf(checkInFlightLimit(counter, tenantId, 10))).toBeInstanceOf(RateLimitedError);
    expect(queries() - before).toBe(1);
    clock += 2;
    await expect(checkInFlightLimit(counter, tenantId, 10)).resolves.toBeUndefined();
    expect(queries() - before).toBe(2);
  });

  test('an uncached counter (the port without admitIfBelow) still counts on every call', async () => {
    let reads = 0;
    const plain: InFlightCounter = { countInFlight: () => Promise.resolve(((reads += 1), 0)) };
    for (let i = 0; i < 3; i += 1) await checkInFlightLimit(plain, 't', 1);
    expect(reads).toBe(3);
  });
});

describe('the submission gate over Cosmos', () => {
  test('per submission on the happy path: 0 queries, well under one write', async () => {
    const instance = newInstance();
    const database = instance.client.database('prompt-pipeline');
    const security = createCosmosSecurityServices(database, { apiKeyEnv: 'test' });
    const tenantId = uniqueTenant('gate');
    const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };
    await createTenant(
      admin,
      {
        id: tenantId,
        name: 'Gate',
        allowedModels: ['gpt-4o-mini'],
        quotas: { submissionsPerMinute: 100_000, maxJobsInFlight: 100_000 },
      },
      security.admin,
    );
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    // Warm-up fills the tenant, in-flight and budget caches, as a running instance has them.
    for (let i = 0; i < 5; i += 1) await security.gate.admit(tenantId, body, 100);
    instance.requests.length = 0;
    const submissions = 200;
    for (let i = 0; i < submissions; i += 4) {
      await Promise.all(Array.from({ length: 4 }, () => security.gate.admit(tenantId, body, 100)));
    }
    const queries = instance.requests.filter((r) => r.operation === 'query');
    const writes = instance.requests.filter((r) => r.operation === 'patch' || r.operation === 'create');
    // Caches may refresh once or twice on a slow machine (in-flight 2 s, budget 10 s); never per job.
    expect(queries.length).toBeLessThanOrEqual(4);
    expect(writes.length).toBeLessThanOrEqual(submissions / 8);
    expect(instance.requests.length).toBeLessThanOrEqual(submissions / 5);
  });
});
