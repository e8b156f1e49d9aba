/**
 * Job requests over the threshold kept by reference (shared/cosmos/request-bodies.ts), against the
 * embedded Cosmos DB (which refuses an item over 2 MB, as Azure does) and Azurite: a 3 MB request is
 * created as a small document plus a blob, read back whole, kept through a replace, and a line job of a
 * bulk create the same; a small request stays in its document and touches no blob. The readers that
 * send a job's invoke message again (a repeat of the submission, the stalled re-drive) send the whole
 * request, read back from the blob.
 */
import type { Database } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobPayloadStore, CLAIM_CHECK_CONTAINER } from '../../../shared/blob/payload-store.js';
import { CosmosLineJobStore } from '../../../shared/cosmos/batch-line-jobs.js';
import { CosmosJobStore } from '../../../shared/cosmos/job-store.js';
import { requestBodyId, type RequestBodies } from '../../../shared/cosmos/request-bodies.js';
import { isStoredRequest, type JobDocument } from '../../../shared/jobs/job.js';
import { InvokeMessageSchema } from '../../../shared/messaging/stage-messages.js';
import { acceptJob } from '../../../shared/pipeline/accept.js';
import { redriveStalledJobs } from '../../../shared/recovery/stalled.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { fakeStage } from '../../fakes/stage-deps.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';
import { startAzurite, type AzuriteEmulator } from '../../../local/azurite/index.js';

let cosmos: TestDatabase;
let database: Database;
let azurite: AzuriteEmulator;
let blobs: ContainerClient;
let bodies: RequestBodies;

beforeAll(async () => {
  azurite = await startAzurite();
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  blobs = service.getContainerClient(CLAIM_CHECK_CONTAINER);
  bodies = { store: new BlobPayloadStore(() => service), thresholdBytes: 192 * 1024 };
  cosmos = await startTestDatabase();
  ({ database } = cosmos);
}, 30_000);

afterAll(async () => {
  await cosmos?.close();
  await azurite?.close();
});

const TENANT = 't-bodies';

function job(id: string, content: string): JobDocument {
  const now = new Date().toISOString();
  return {
    id,
    tenantId: TENANT,
    status: 'queued',
    idempotencyKey: id,
    requestHash: `hash-${id}`,
    request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] },
    metadata: {},
    source: 'http',
    traceId: 't',
    createdAt: now,
    updatedAt: now,
  };
}

const threeMegabytes = 'lorem ipsum '.repeat(262_144);

async function blobExists(name: string): Promise<boolean> {
  return blobs.getBlockBlobClient(name).exists();
}

describe('CosmosJobStore with request bodies', () => {
  it('without them a 3 MB request is refused by Cosmos DB (the 2 MB item limit)', async () => {
    const store = new CosmosJobStore(database.container('jobs'));
    await expect(store.create(job('job_plain_big', threeMegabytes))).rejects.toThrow(/413/);
  });

  it('stores a 3 MB request by reference and reads it back whole', async () => {
    const store = new CosmosJobStore(database.container('jobs'), bodies);
    const big = job('job_big', threeMegabytes);
    const { created, stored } = await store.create(big);
    expect(created).toBe(true);
    // The caller's job comes back as it gave it.
    expect(stored.job.request).toEqual(big.request);

    const read = (await store.get(TENANT, 'job_big'))!;
    expect(isStoredRequest(read.job.request)).toBe(true);
    expect(read.job.request.model).toBe('gpt-4o-mini');
    expect(read.job.requestHash).toBe('hash-job_big');
    const { resource } = await database.container('jobs').item('job_big', TENANT).read();
    expect(Buffer.byteLength(JSON.stringify(resource))).toBeLessThan(2048);
    expect(await blobExists(requestBodyId('job_big'))).toBe(true);
    expect(await store.requestOf(read.job)).toEqual(big.request);

    // A repeat of the create finds the job (409) and answers it, by reference.
    const again = await store.create(big);
    expect(again.created).toBe(false);
    expect(again.stored.job.requestHash).toBe('hash-job_big');

    // A replace of the job as read keeps the reference; one with the request inline stores it again.
    const replaced = await store.replace({ ...read.job, metadata: { a: 'b' } }, read.etag);
    expect(replaced).not.toBe('stale');
    if (replaced === 'stale') return;
    expect(isStoredRequest(replaced.job.request)).toBe(true);
    const inline = await store.replace({ ...big, metadata: { c: 'd' } }, replaced.etag);
    expect(inline !== 'stale' && isStoredRequest(inline.job.request)).toBe(true);
    expect(await store.requestOf(read.job)).toEqual(big.request);
  });

  it('keeps a request at the threshold in its document, with no blob', async () => {
    const store = new CosmosJobStore(database.container('jobs'), bodies);
    await store.create(job('job_small', 'hello'));
    const read = (await store.get(TENANT, 'job_small'))!;
    expect(isStoredRequest(read.job.request)).toBe(false);
    expect(await blobExists(requestBodyId('job_small'))).toBe(false);
  });
});

describe('CosmosLineJobStore with request bodies', () => {
  it('creates a 3 MB line job by reference in a bulk request beside small ones', async () => {
    const lines = new CosmosLineJobStore(database.container('jobs'), bodies);
    const jobs = new CosmosJobStore(database.container('jobs'), bodies);
    const outcomes = await lines.createMany([
      job('job_line_small', 'one'),
      job('job_line_big', threeMegabytes),
    ]);
    expect(outcomes).toEqual(['created', 'created']);
    const big = (await jobs.get(TENANT, 'job_line_big'))!;
    expect(isStoredRequest(big.job.request)).toBe(true);
    expect(await jobs.requestOf(big.job)).toEqual(job('job_line_big', threeMegabytes).request);
    expect(isStoredRequest((await jobs.get(TENANT, 'job_line_small'))!.job.request)).toBe(false);
    expect(await lines.createMany([job('job_line_big', threeMegabytes)])).toEqual(['exists']);
  });
});

describe('readers of a request kept by reference', () => {
  it('a repeat of the submission and the stalled re-drive send the whole request', async () => {
    const base = fakeStage();
    const deps = {
      ...base,
      jobs: new CosmosJobStore(database.container('jobs'), bodies),
      clock: () => base.now,
    };
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: threeMegabytes }],
      max_tokens: 8,
    };
    const input = { tenantId: 't-readers', idempotencyKey: 'big', body, source: 'http' as const };
    const first = await acceptJob(deps, { ...input, trace: newTrace() });
    expect(first.created).toBe(true);
    // A repeat inside the duplicate-detection window re-sends the invoke message of the queued job.
    const repeat = await acceptJob(deps, { ...input, trace: newTrace() });
    expect(repeat.created).toBe(false);
    const sent = base.publisher.on('invoke').map((m) => InvokeMessageSchema.parse(m.body));
    expect(sent).toHaveLength(2);
    for (const message of sent) expect(message.request).toMatchObject({ messages: body.messages });

    // Past the stages' allowance, still queued: re-driven with the request read back from the blob.
    base.now += 31 * 60_000;
    expect(await redriveStalledJobs(deps, { allowanceMs: 30 * 60_000, batch: 10 })).toBe(1);
    const redriven = base.publisher.on('invoke').filter((m) => m.messageId.endsWith(':stalled'));
    expect(redriven).toHaveLength(1);
    expect(InvokeMessageSchema.parse(redriven[0]!.body).request).toMatchObject({ messages: body.messages });
  });
});
