/**
 * Claim-check bodies in Blob Storage (Azurite, the real SDK): a body above Cosmos DB's 2 MB document
 * ceiling goes in and comes back whole, a repeated check-in of the same message id writes nothing new,
 * and a missing payload is an error that names it.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobPayloadStore, CLAIM_CHECK_CONTAINER } from '../../../shared/blob/payload-store.js';
import { checkIn, checkOut, isClaimCheckReference } from '../../../shared/messaging/claim-check.js';
import { startAzurite, type AzuriteEmulator } from '../../../local/azurite/index.js';

let azurite: AzuriteEmulator;
let service: BlobServiceClient;

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
}, 30_000);

afterAll(async () => {
  await azurite?.close();
});

describe('BlobPayloadStore', () => {
  it('checks a body above 2 MB in and out whole', async () => {
    const store = new BlobPayloadStore(() => service);
    const big = { kind: 'invoke', text: 'ü'.repeat(1_500_000) }; // 3 MB of UTF-8
    const reference = await checkIn(store, 'job_big:invoke:0', big, 192 * 1024);
    expect(isClaimCheckReference(reference)).toBe(true);
    expect((reference as { claimCheck: { bytes: number } }).claimCheck.bytes).toBeGreaterThan(3_000_000);
    expect(await checkOut(store, reference)).toEqual(big);
    const properties = await service
      .getContainerClient(CLAIM_CHECK_CONTAINER)
      .getBlockBlobClient('job_big:invoke:0')
      .getProperties();
    expect(properties.contentLength).toBeGreaterThan(3_000_000);
  });

  it('keeps the first body of a message id: a retried send writes nothing', async () => {
    const store = new BlobPayloadStore(() => service);
    await store.put('job_r:invoke:0', { n: 1 });
    const blob = service.getContainerClient(CLAIM_CHECK_CONTAINER).getBlockBlobClient('job_r:invoke:0');
    const before = await blob.getProperties();
    await store.put('job_r:invoke:0', { n: 2 });
    const after = await blob.getProperties();
    expect(after.etag).toBe(before.etag);
    expect(await store.get('job_r:invoke:0')).toEqual({ n: 1 });
  });

  it('names a payload that is not there', async () => {
    const store = new BlobPayloadStore(() => service);
    await expect(store.get('job_gone:invoke:0')).rejects.toThrow(/job_gone:invoke:0 is missing/);
  });

  it('leaves a small body in the message and touches no storage', async () => {
    let asked = 0;
    const store = new BlobPayloadStore(() => {
      asked += 1;
      return service;
    });
    const body = { kind: 'invoke', text: 'small' };
    expect(await checkIn(store, 'job_s:invoke:0', body, 192 * 1024)).toBe(body);
    expect(await checkOut(store, body)).toBe(body);
    expect(asked).toBe(0);
  });
});
