/**
 * Files in Blob Storage: one container per purpose, the blob `<tenantId>/<fileId>`, everything else in
 * the blob's metadata. No second store: the metadata is committed with the content in one request (Put
 * Block List), so a file is either whole and described or not there at all, and a tenant's files are a
 * prefix listing. Uploads are staged block by block as the bytes arrive, so memory holds one block, not
 * the file; blocks of an upload that failed are never committed and Blob Storage drops them (7 days).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { FILE_CONTAINERS, FILE_PURPOSES, type FilePurpose, type StoredFile } from '../files/file.js';
import type { FileContent, FileDraft, FileStore } from '../files/store.js';

/** Staged block size: a few MB keeps the request count low (50 blocks for 200 MB) and memory flat. */
const BLOCK_BYTES = 4 * 1024 * 1024;

export class BlobFileStore implements FileStore {
  private readonly ready = new Map<FilePurpose, Promise<unknown>>();

  private client: BlobServiceClient | undefined;

  /** `service` is called on first use: an app without Blob Storage configured starts, and only files fail. */
  constructor(private readonly service: () => BlobServiceClient) {}

  async create(
    draft: FileDraft,
    chunks: AsyncIterable<Uint8Array>,
    summary: () => Promise<{ readonly bytes: number; readonly lines: number }>,
  ): Promise<StoredFile> {
    const blob = (await this.container(draft.purpose)).getBlockBlobClient(blobName(draft.tenantId, draft.id));
    const blockIds: string[] = [];
    let block: Uint8Array[] = [];
    let blockBytes = 0;
    const stage = async () => {
      if (blockBytes === 0) return;
      const id = Buffer.from(randomUUID()).toString('base64');
      const parts = block;
      const length = blockBytes;
      block = [];
      blockBytes = 0;
      // Sent from the chunks as they are: no copy of the block.
      await blob.stageBlock(id, () => Readable.from(parts), length);
      blockIds.push(id);
    };
    // The chunks are kept as they come (the request's own buffers, never reused by the stream).
    for await (const chunk of chunks) {
      block.push(chunk);
      blockBytes += chunk.byteLength;
      if (blockBytes >= BLOCK_BYTES) await stage();
    }
    await stage();
    const { bytes, lines } = await summary();
    const file: StoredFile = { ...draft, bytes, lines };
    await blob.commitBlockList(blockIds, {
      metadata: toMetadata(file),
      blobHTTPHeaders: { blobContentType: 'application/jsonl' },
    });
    return file;
  }

  async get(tenantId: string, id: string): Promise<StoredFile | undefined> {
    for (const purpose of FILE_PURPOSES) {
      const blob = (await this.container(purpose)).getBlockBlobClient(blobName(tenantId, id));
      try {
        const properties = await blob.getProperties();
        return fromMetadata(properties.metadata ?? {}, tenantId, id, purpose);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return undefined;
  }

  async content(tenantId: string, id: string): Promise<FileContent | undefined> {
    const file = await this.get(tenantId, id);
    if (!file) return undefined;
    const blob = (await this.container(file.purpose)).getBlockBlobClient(blobName(tenantId, id));
    const download = await blob.download();
    const stream = download.readableStreamBody as
      (NodeJS.ReadableStream & AsyncIterable<Uint8Array>) | undefined;
    if (!stream) return undefined;
    return { file, stream };
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const file = await this.get(tenantId, id);
    if (!file) return false;
    const blob = (await this.container(file.purpose)).getBlockBlobClient(blobName(tenantId, id));
    const result = await blob.deleteIfExists();
    return result.succeeded;
  }

  async list(tenantId: string, purpose?: FilePurpose): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    for (const each of purpose ? [purpose] : FILE_PURPOSES) {
      const container = await this.container(each);
      const prefix = `${tenantId}/`;
      for await (const item of container.listBlobsFlat({ prefix, includeMetadata: true })) {
        const file = fromMetadata(item.metadata ?? {}, tenantId, item.name.slice(prefix.length), each);
        if (file) files.push(file);
      }
    }
    return files;
  }

  /**
   * The purpose's container. Bicep creates them in Azure; locally (and in tests) they are created on
   * first use. In Azure the create answers 409 or 403 without touching anything: the app's role is
   * scoped to the containers, and a missing container then fails the request that needs it.
   */
  private async container(purpose: FilePurpose): Promise<ContainerClient> {
    this.client ??= this.service();
    const client = this.client.getContainerClient(FILE_CONTAINERS[purpose]);
    let ready = this.ready.get(purpose);
    if (!ready) {
      ready = client.createIfNotExists().catch(() => undefined);
      this.ready.set(purpose, ready);
    }
    await ready;
    return client;
  }
}

function blobName(tenantId: string, id: string): string {
  return `${tenantId}/${id}`;
}

function toMetadata(file: StoredFile): Record<string, string> {
  // Metadata values are ASCII header values: the filename is percent-encoded.
  return {
    filename: encodeURIComponent(file.filename),
    bytes: String(file.bytes),
    lines: String(file.lines),
    createdat: String(file.createdAt),
  };
}

function fromMetadata(
  metadata: Record<string, string>,
  tenantId: string,
  id: string,
  purpose: FilePurpose,
): StoredFile | undefined {
  const bytes = Number(metadata.bytes);
  const lines = Number(metadata.lines);
  const createdAt = Number(metadata.createdat);
  if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(lines) || !Number.isSafeInteger(createdAt))
    return undefined;
  let filename: string;
  try {
    filename = decodeURIComponent(metadata.filename ?? '');
  } catch {
    filename = metadata.filename ?? '';
  }
  return { id, tenantId, purpose, filename, bytes, lines, createdAt };
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404;
}
