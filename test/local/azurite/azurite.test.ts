/**
 * Azurite from npm, started the way the local stack starts it: in memory, on a free port, driven by the
 * real `@azure/storage-blob` SDK, and gone when closed.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { startAzurite } from '../../../local/azurite/index.js';

describe('Azurite', () => {
  it('serves Blob Storage in memory on a free port and stops on close', async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      const client = BlobServiceClient.fromConnectionString(azurite.connectionString);
      const container = client.getContainerClient('batch');
      await container.createIfNotExists();
      const blob = container.getBlockBlobClient('tenant/file-1');
      await blob.upload('{"a":1}\n', 8, { metadata: { filename: 'a.jsonl' } });
      expect((await blob.getProperties()).metadata).toEqual({ filename: 'a.jsonl' });
      expect((await blob.downloadToBuffer()).toString()).toBe('{"a":1}\n');
    } finally {
      await azurite.close();
    }
    await expect(fetch(azurite.blobEndpoint)).rejects.toThrow();
  }, 30_000);
});
