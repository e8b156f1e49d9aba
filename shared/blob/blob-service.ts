/**
 * The Blob Storage client from configuration: the managed identity in Azure (the account allows no
 * shared key), the emulator's well-known development account locally.
 */
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { StorageSettings } from '../config/storage.js';
import { ConfigurationError } from '../errors/index.js';

export function createBlobServiceClient(
  settings: StorageSettings,
  credential: () => TokenCredential,
): BlobServiceClient {
  // SDK retries stay short: an upload is a caller's request, and they can retry it themselves.
  const retryOptions = { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5_000 };
  switch (settings.kind) {
    case 'connectionString':
      return BlobServiceClient.fromConnectionString(settings.connectionString, { retryOptions });
    case 'identity':
      return new BlobServiceClient(settings.blobEndpoint, credential(), { retryOptions });
    case 'none':
      throw new ConfigurationError('File storage is not configured (STORAGE_BLOB_ENDPOINT).', 60_000);
  }
}
