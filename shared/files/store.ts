/**
 * The port to wherever file bytes live (Blob Storage in Azure, Azurite locally, memory in unit tests).
 * Every call is scoped by tenant: a file of another tenant is simply not found.
 */
import type { FilePurpose, StoredFile } from './file.js';

export type FileDraft = Omit<StoredFile, 'bytes' | 'lines'>;

export interface FileContent {
  readonly file: StoredFile;
  /** The bytes, streamed: never read whole into memory. */
  readonly stream: AsyncIterable<Uint8Array>;
}

export interface FileStore {
  /**
   * Streams `chunks` to storage and makes the file visible only once they all arrived: if the iterable
   * throws (a malformed line, a limit), nothing is stored. `summary` is awaited after the last chunk; if it throws, nothing is stored either.
   */
  create(
    draft: FileDraft,
    chunks: AsyncIterable<Uint8Array>,
    summary: () => Promise<{ readonly bytes: number; readonly lines: number }>,
  ): Promise<StoredFile>;
  get(tenantId: string, id: string): Promise<StoredFile | undefined>;
  content(tenantId: string, id: string): Promise<FileContent | undefined>;
  /** False when there was no such file. */
  delete(tenantId: string, id: string): Promise<boolean>;
  /** The tenant's files, any order; `purpose` narrows them. */
  list(tenantId: string, purpose?: FilePurpose): Promise<StoredFile[]>;
}
