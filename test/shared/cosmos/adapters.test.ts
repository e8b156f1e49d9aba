/**
 * The pipeline's own adapters against the emulators, through the real SDKs: the Cosmos job store
 * (idempotent create, ETag guard, tenant-scoped paging) and the Service Bus publisher (claim check in
 * Blob Storage, scheduled messages, duplicate detection).
 */
import type { Database } from '@azure/cosmos';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDocument } from '../../../shared/jobs/job.js';
import { checkOut, isClaimCheckReference } from '../../../shared/messaging/claim-check.js';
import { ServiceBusPublisher } from '../../../shared/messaging/servicebus-publisher.js';
import { CosmosJobStore } from '../../../shared/cosmos/job-store.js';
import { BlobPayloadStore } from '../../../shared/blob/payload-store.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../local/servicebus/index.js';
import { startAzurite, type AzuriteEmulator } from '../../../local/azurite/index.js';

let cosmos: TestDatabase;
let database: Database;
let emulator: ServiceBusEmulator;
let serviceBus: ServiceBusClient;
let azurite: AzuriteEmulator;
let payloads: BlobPayloadStore;

beforeAll(async () => {
  azurite = await startAzurite();
  payloads = new BlobPayloadStore(() => BlobServiceClient.fromConnectionString(azurite.connectionString));
  cosmos = await startTestDatabase();
  ({ database } = cosmos);
  emulator = await startServiceBusEmulator();
  serviceBus = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await serviceBus?.close();
  await emulator?.close();
  await cosmos?.close();
  await azurite?.close();
});

function job(
  tenantId: string,
  id: string,
  createdAt: string,
  status: JobDocument['status'] = 'queued',
): JobDocument {
  return {
    id,
    tenantId,
    status,
    idempotencyKey: id,
    requestHash: 'h',
    request: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
    metadata: {},
    source: 'http',
    traceId: 't',
    createdAt,
    updatedAt: createdAt,
  };
}

describe('CosmosJobStore', () => {
  it('creates once and returns the stored job on a repeat', async () => {
    const store = new CosmosJobStore(database.container('jobs'));
    const first = await store.create(job('a', 'job-1', '2026-01-01T00:00:00.000Z'));
    const again = await store.create({
      ...job('a', 'job-1', '2026-01-01T00:00:00.000Z'),
      requestHash: 'other',
    });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.stored.job.requestHash).toBe('h');
    expect(again.stored.job).not.toHaveProperty('_etag');
  });

  it('refuses a replace with a stale ETag', async () => {
    const store = new CosmosJobStore(database.container('jobs'));
    const { stored } = await store.create(job('a', 'job-2', '2026-01-01T00:00:00.000Z'));
    const written = await store.replace({ ...stored.job, status: 'succeeded' }, stored.etag);
    expect(written).not.toBe('stale');
    expect(await store.replace({ ...stored.job, status: 'failed' }, stored.etag)).toBe('stale');
    expect((await store.get('a', 'job-2'))?.job.status).toBe('succeeded');
  });

  it("pages a tenant's jobs newest first, filtered by status, never another tenant's", async () => {
    const store = new CosmosJobStore(database.container('jobs'));
    for (let i = 0; i < 5; i += 1)
      await store.create(job('paged', `p-${i}`, `2026-02-0${i + 1}T00:00:00.000Z`));
    await store.create(job('paged', 'p-done', '2026-02-09T00:00:00.000Z', 'succeeded'));
    await store.create(job('intruder', 'x-1', '2026-02-08T00:00:00.000Z'));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await store.list('paged', {
        status: 'queued',
        limit: 2,
        ...(token ? { continuationToken: token } : {}),
      });
      seen.push(...page.jobs.map((j) => j.id));
      token = page.continuationToken;
    } while (token);
    expect(seen).toEqual(['p-4', 'p-3', 'p-2', 'p-1', 'p-0']);
    expect(await store.get('paged', 'x-1')).toBeUndefined();
  });
});

describe('ServiceBusPublisher', () => {
  it('sends a large body by claim check and the receiver gets the original back', async () => {
    const publisher = new ServiceBusPublisher(serviceBus, payloads, 1024);
    const big = { kind: 'invoke', text: 'y'.repeat(4096) };
    await publisher.send({
      queue: 'postprocess',
      messageId: 'cc-1',
      body: big,
      applicationProperties: { jobId: 'j' },
    });
    const receiver = serviceBus.createReceiver('postprocess');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    await receiver.completeMessage(message!);
    await receiver.close();
    await publisher.close();
    expect(isClaimCheckReference(message?.body)).toBe(true);
    expect(await checkOut(payloads, message?.body)).toEqual(big);
  });

  it('schedules a message for later and drops a duplicate id', async () => {
    const publisher = new ServiceBusPublisher(serviceBus, payloads, 1024);
    const at = new Date(Date.now() + 1_500);
    const message = {
      queue: 'persist' as const,
      messageId: 'dup-1',
      body: { n: 1 },
      applicationProperties: {},
    };
    await publisher.schedule(message, at);
    await publisher.send({ ...message, body: { n: 2 } });
    const receiver = serviceBus.createReceiver('persist');
    const received = [];
    const deadline = Date.now() + 6_000;
    while (Date.now() < deadline && received.length < 2) {
      const batch = await receiver.receiveMessages(2, { maxWaitTimeInMs: 1_000 });
      for (const m of batch) {
        received.push({ body: m.body as { n: number }, at: m.enqueuedTimeUtc });
        await receiver.completeMessage(m);
      }
    }
    await receiver.close();
    await publisher.close();
    // The scheduled copy claimed the id first; the immediate send of the same id was a duplicate.
    expect(received.map((r) => r.body.n)).toEqual([1]);
    expect(received[0]?.at?.getTime()).toBeGreaterThanOrEqual(at.getTime() - 50);
  });
});
