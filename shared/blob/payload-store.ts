/**
 * Claim-check bodies in Blob Storage, the `claim-checks` container, blob named by the message id: one
 * write to check in, one read to check out, and no size ceiling worth the name (a Cosmos DB document stops
 * at 2 MB; a block blob uploaded in one request takes 5,000 MB). Blobs expire by the container's lifecycle
 * rule (infra/modules/storage.bicep), set past the queues' message time-to-live.
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { PayloadStore } from '../messaging/claim-check.js';

/** The container (Bicep creates it in Azure; locally it is created on first use). */
export const CLAIM_CHECK_CONTAINER = 'claim-checks';

export class BlobPayloadStore implements PayloadStore {
  private client: ContainerClient | undefined;

  private ready: Promise<unknown> | undefined;

  /** `service` is called on first use: only a body over the threshold needs Blob Storage. */
  constructor(private readonly service: () => BlobServiceClient) {}

  async put(id: string, body: unknown): Promise<void> {
    const text = JSON.stringify(body);
    const blob = (await this.container()).getBlockBlobClient(id);
    try {
      // The id is the message id (<job>:<stage>:<attempt>), whose body is the same on every send: a
      // retried send that finds it stored has nothing to write, so the upload is create-only.
      await blob.upload(text, Buffer.byteLength(text), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
  }

  async get(id: string): Promise<unknown> {
    const blob = (await this.container()).getBlockBlobClient(id);
    let bytes: Buffer;
    try {
      bytes = await blob.downloadToBuffer();
    } catch (error) {
      if (statusOf(error) === 404)
        throw new Error(`claim-check payload ${id} is missing (expired or never stored)`);
      throw error;
    }
    return JSON.parse(bytes.toString('utf8')) as unknown;
  }

  /**
   * In Azure the create answers 409 or 403 without touching anything (the app's role is scoped to the
   * container, which Bicep made); locally it makes the container in the emulator.
   */
  private async container(): Promise<ContainerClient> {
    this.client ??= this.service().getContainerClient(CLAIM_CHECK_CONTAINER);
    this.ready ??= this.client.createIfNotExists().catch(() => undefined);
    await this.ready;
    return this.client;
  }
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error.statusCode as number)
    : undefined;
}
