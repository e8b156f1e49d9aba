/**
 * The batch adapters against the embedded Cosmos DB through the real @azure/cosmos SDK: batch documents
 * (idempotent create, ETag-guarded replace, newest-first cursor paging inside the tenant, the sweep's open
 * batches) and the line jobs (bulk creates with per-job outcomes, COUNT and paged scans by batch id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';
import { batchIdFor, type BatchDocument } from '../../../shared/batches/batch.js';
import { lineJob } from '../../../shared/batches/fanout.js';
import { CosmosLineJobStore } from '../../../shared/cosmos/batch-line-jobs.js';
import { CosmosBatchStore } from '../../../shared/cosmos/batch-store.js';

let cosmos: TestDatabase;
let batches: CosmosBatchStore;
let lineJobs: CosmosLineJobStore;

beforeAll(async () => {
  cosmos = await startTestDatabase();
  const { database } = cosmos;
  batches = new CosmosBatchStore(database.container('batches'));
  lineJobs = new CosmosLineJobStore(database.container('jobs'));
});

afterAll(async () => {
  await cosmos?.close();
});

function batchOf(tenantId: string, key: string, createdAt: number): BatchDocument {
  return {
    id: batchIdFor(tenantId, key),
    tenantId,
    kind: 'batch',
    status: 'validating',
    idempotencyKey: key,
    requestHash: 'h',
    inputFileId: `file-${'1'.repeat(32)}`,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    metadata: { team: 'a' },
    traceId: 'a'.repeat(32),
    createdAt,
    expiresAtMs: createdAt * 1000 + 86_400_000,
    requestCounts: { total: 0, completed: 0, failed: 0 },
    outputFileId: null,
    errorFileId: null,
    errors: null,
  };
}

describe('CosmosBatchStore', () => {
  it('creates once, reads back without system properties, replaces only with the current ETag', async () => {
    const batch = batchOf('t-store', 'one', 100);
    const first = await batches.create(batch);
    expect(first.created).toBe(true);
    const again = await batches.create({ ...batch, requestHash: 'other' });
    expect(again).toMatchObject({ created: false, stored: { batch } });
    expect(await batches.get('t-store', batch.id)).toMatchObject({ batch });
    expect(await batches.get('t-other', batch.id)).toBeUndefined();
    const moved = await batches.replace({ ...batch, status: 'in_progress' }, first.stored.etag);
    expect(moved).not.toBe('stale');
    expect(await batches.replace({ ...batch, status: 'failed' }, first.stored.etag)).toBe('stale');
  });

  it("pages a tenant's batches newest first after a cursor, and lists open batches of every tenant", async () => {
    const made = [];
    for (let n = 0; n < 5; n += 1)
      made.push((await batches.create(batchOf('t-page', `p${n}`, 1000 + n))).stored.batch);
    await batches.create(batchOf('t-page-other', 'x', 2000));
    const first = await batches.list('t-page', { limit: 2 });
    expect(first.batches.map((b) => b.id)).toEqual([made[4]?.id, made[3]?.id]);
    expect(first.hasMore).toBe(true);
    const last = await batches.list('t-page', { limit: 10, after: made[2] });
    expect(last).toEqual({ batches: [made[1], made[0]], hasMore: false });

    const done = await batches.get('t-page', made[0]!.id);
    await batches.replace({ ...done!.batch, status: 'completed' }, done!.etag);
    const open = await batches.listOpen(100);
    expect(open).toContainEqual({ tenantId: 't-page-other', id: batchIdFor('t-page-other', 'x') });
    expect(open.map((each) => each.id)).not.toContain(made[0]?.id);
    expect(open.map((each) => each.id)).toContain(made[1]?.id);
  });
});

describe('CosmosLineJobStore', () => {
  it('creates line jobs in bulk with an outcome each, counts and scans them by batch', async () => {
    const batch = batchOf('t-lines', 'lines', 100);
    const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
    const jobs = ['a', 'b', 'c'].map((customId, n) =>
      lineJob(batch, { number: n + 1, customId, request }, Date.now(), 60_000),
    );
    expect(await lineJobs.createMany(jobs.slice(0, 2))).toEqual(['created', 'created']);
    expect(await lineJobs.createMany(jobs)).toEqual(['exists', 'exists', 'created']);
    expect(await lineJobs.count('t-lines', batch.id, 'queued')).toBe(3);
    expect(await lineJobs.count('t-lines', batch.id, 'succeeded')).toBe(0);
    expect(await lineJobs.count('t-other', batch.id, 'queued')).toBe(0);
    const scanned = [];
    for await (const job of lineJobs.scan('t-lines', batch.id, ['queued', 'failed']))
      scanned.push(job.batch?.customId);
    expect(scanned.sort()).toEqual(['a', 'b', 'c']);
    const none = [];
    for await (const job of lineJobs.scan('t-lines', batch.id, ['succeeded'])) none.push(job);
    expect(none).toEqual([]);
  });
});
