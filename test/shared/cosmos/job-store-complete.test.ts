/**
 * CosmosJobStore.completeIfOpen against the embedded Cosmos DB through the real @azure/cosmos SDK: the
 * terminal state is one conditional patch (filter `c.status = 'queued'`), answered with the whole patched
 * document; 412 (the job already terminal) is `not-open`, 404 is undefined.
 */
import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDocument } from '../../../shared/jobs/job.js';
import { CosmosJobStore } from '../../../shared/cosmos/job-store.js';
import type { TerminalFields } from '../../../shared/jobs/job-store.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';

let cosmos: TestDatabase;
let container: Container;
let store: CosmosJobStore;

beforeAll(async () => {
  cosmos = await startTestDatabase();
  container = cosmos.database.container('jobs');
  store = new CosmosJobStore(container);
});

afterAll(async () => {
  await cosmos?.close();
});

const TENANT = 't-complete';

function queued(id: string, extra: Partial<JobDocument> = {}): JobDocument {
  return {
    id,
    tenantId: TENANT,
    status: 'queued',
    idempotencyKey: id,
    requestHash: 'h',
    request: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
    metadata: { team: 'a' },
    source: 'http',
    traceId: 'trace-1',
    createdAt: '2026-11-26T01:00:00.000Z',
    updatedAt: '2026-11-26T01:00:00.000Z',
    retentionSeconds: 3_600,
    ...extra,
  };
}

const succeeded: TerminalFields = {
  status: 'succeeded',
  updatedAt: '2026-11-26T01:00:05.000Z',
  completedAt: '2026-11-26T01:00:05.000Z',
  attempts: 1,
  result: {
    content: 'hi',
    refusal: null,
    finishReason: 'stop',
    model: 'gpt-4o-mini',
    deployment: 'd1',
  },
  usage: { promptTokens: 3, completionTokens: 2, cachedTokens: 0, totalTokens: 5, costUsd: 0.001 },
  timings: { acceptedAt: 1, postprocessedAt: 4, persistedAt: 5 },
  ttl: 3_600,
};

describe('CosmosJobStore.completeIfOpen', () => {
  it('patches a queued job and returns the whole document as written, with its new ETag', async () => {
    const { stored: created } = await store.create(queued('c-1'));
    const written = await store.completeIfOpen(TENANT, 'c-1', succeeded);
    if (written === undefined || written === 'not-open') throw new Error(`expected a write, got ${written}`);
    // Everything the queued job had, plus exactly the terminal fields; no system properties.
    expect(written.job).toEqual({ ...created.job, ...succeeded });
    expect(written.job).not.toHaveProperty('error');
    expect(written.job).not.toHaveProperty('_etag');
    expect(written.etag).not.toBe(created.etag);
    // What the response said is what is stored.
    const read = await store.get(TENANT, 'c-1');
    expect(read).toEqual(written);
  });

  it('writes a failure without usage as a document without usage', async () => {
    await store.create(queued('c-2'));
    const failed: TerminalFields = {
      status: 'failed',
      updatedAt: '2026-11-26T01:00:06.000Z',
      completedAt: '2026-11-26T01:00:06.000Z',
      attempts: 0,
      error: { code: 'deadline_exceeded', message: 'The job passed its deadline.' },
      timings: { acceptedAt: 1, persistedAt: 6 },
      ttl: 3_600,
    };
    const written = await store.completeIfOpen(TENANT, 'c-2', failed);
    if (written === undefined || written === 'not-open') throw new Error(`expected a write, got ${written}`);
    expect(written.job).toMatchObject({ status: 'failed', error: failed.error, ttl: 3_600 });
    expect(written.job).not.toHaveProperty('usage');
    expect(written.job).not.toHaveProperty('result');
  });

  it('answers not-open (Cosmos 412) for a job already terminal and leaves it as it was', async () => {
    await store.create(queued('c-3'));
    const first = await store.completeIfOpen(TENANT, 'c-3', succeeded);
    const again = await store.completeIfOpen(TENANT, 'c-3', {
      ...succeeded,
      status: 'failed',
      error: { code: 'late', message: 'late' },
    });
    expect(again).toBe('not-open');
    expect(await store.get(TENANT, 'c-3')).toEqual(first);
  });

  it('never overwrites a cancel that was written first (the cancel path: ETag-guarded replace)', async () => {
    const { stored } = await store.create(queued('c-4'));
    const cancelled = await store.replace(
      { ...stored.job, status: 'cancelled', error: { code: 'cancelled', message: 'by submitter' } },
      stored.etag,
    );
    expect(cancelled).not.toBe('stale');
    expect(await store.completeIfOpen(TENANT, 'c-4', succeeded)).toBe('not-open');
    expect((await store.get(TENANT, 'c-4'))?.job).toMatchObject({ status: 'cancelled' });
    expect((await store.get(TENANT, 'c-4'))?.job).not.toHaveProperty('result');
  });

  it('makes a cancel that read the queued job before the patch lose its ETag race', async () => {
    const { stored } = await store.create(queued('c-5'));
    await store.completeIfOpen(TENANT, 'c-5', succeeded);
    // The patch changed the ETag, so the cancel's replace on the version it read is refused.
    expect(await store.replace({ ...stored.job, status: 'cancelled' }, stored.etag)).toBe('stale');
    expect((await store.get(TENANT, 'c-5'))?.job.status).toBe('succeeded');
  });

  it('answers undefined (Cosmos 404) for a job that does not exist, and creates nothing', async () => {
    expect(await store.completeIfOpen(TENANT, 'c-missing', succeeded)).toBeUndefined();
    expect(await store.get(TENANT, 'c-missing')).toBeUndefined();
  });

  it('is scoped by tenant: the same id in another partition is not found', async () => {
    await store.create(queued('c-6'));
    expect(await store.completeIfOpen('t-other', 'c-6', succeeded)).toBeUndefined();
    expect((await store.get(TENANT, 'c-6'))?.job.status).toBe('queued');
  });

  it('sends one patch request carrying the filter, with a set per present field (at most 10)', async () => {
    await store.create(queued('c-7'));
    const seen: unknown[] = [];
    const realItem = container.item.bind(container);
    // Observe the body the adapter hands the SDK (the SDK call itself is real).
    (container as { item: Container['item'] }).item = (id, pk) => {
      const target = realItem(id, pk);
      const patch = target.patch.bind(target);
      target.patch = (body, options) => {
        seen.push(body);
        return patch(body, options);
      };
      return target;
    };
    try {
      await store.completeIfOpen(TENANT, 'c-7', succeeded);
    } finally {
      (container as { item: Container['item'] }).item = realItem;
    }
    expect(seen).toHaveLength(1);
    const body = seen[0] as { condition: string; operations: { op: string; path: string }[] };
    expect(body.condition).toBe("FROM c WHERE c.status = 'queued'");
    expect(body.operations.length).toBeLessThanOrEqual(10);
    expect(body.operations.every((op) => op.op === 'set')).toBe(true);
    expect(body.operations.map((op) => op.path).sort()).toEqual(
      Object.keys(succeeded)
        .map((key) => `/${key}`)
        .sort(),
    );
  });
});

describe('CosmosJobStore.listStalled', () => {
  it('finds queued jobs of every tenant with a deadline before the cutoff, oldest first, bounded', async () => {
    const at = 5_000_000_000_000;
    const jobs: JobDocument[] = [
      { ...queued('stalled-b', { deadlineAt: at - 2_000 }), tenantId: 'stall-b' },
      { ...queued('stalled-a', { deadlineAt: at - 3_000 }), tenantId: 'stall-a' },
      { ...queued('stalled-c', { deadlineAt: at - 1_000 }), tenantId: 'stall-c' },
      { ...queued('in-time', { deadlineAt: at + 1_000 }), tenantId: 'stall-a' },
      { ...queued('done', { deadlineAt: at - 5_000 }), tenantId: 'stall-a', status: 'failed' },
      { ...queued('no-deadline'), tenantId: 'stall-a' },
    ];
    for (const job of jobs) await store.create(job);
    const found = (await store.listStalled(at, 10)).filter((j) => j.tenantId.startsWith('stall-'));
    expect(found).toEqual([
      { tenantId: 'stall-a', id: 'stalled-a' },
      { tenantId: 'stall-b', id: 'stalled-b' },
      { tenantId: 'stall-c', id: 'stalled-c' },
    ]);
    expect(await store.listStalled(at, 2)).toHaveLength(2);
    // With a lower bound too (the re-drive's window): deadlines in [from, before).
    const windowed = (await store.listStalled(at, 10, at - 2_000)).filter((j) =>
      j.tenantId.startsWith('stall-'),
    );
    expect(windowed).toEqual([
      { tenantId: 'stall-b', id: 'stalled-b' },
      { tenantId: 'stall-c', id: 'stalled-c' },
    ]);
  });
});
