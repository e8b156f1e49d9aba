/**
 * Files, the OpenAI way (https://platform.openai.com/docs/api-reference/files): what a stored file is,
 * its id, its purpose and the object the API returns. Files are the input (and later the output) of
 * batches; the bytes live in Blob Storage (shared/blob), one container per purpose.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Purposes we store. Only `batch` can be uploaded; `batch_output` files are written by batches. */
export const FILE_PURPOSES = ['batch', 'batch_output'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];
export const UPLOAD_PURPOSES = ['batch'] as const satisfies readonly FilePurpose[];

/**
 * One container per purpose. Container names allow lowercase letters, digits and dashes only, so the
 * purpose `batch_output` lives in `batch-output`.
 */
export const FILE_CONTAINERS: Readonly<Record<FilePurpose, string>> = {
  batch: 'batch',
  batch_output: 'batch-output',
};

export const FILE_ID_PATTERN = 'file-[0-9a-f]{32}';
export const FileIdSchema = z
  .string()
  .regex(new RegExp(`^${FILE_ID_PATTERN}$`), 'a file id: file- followed by 32 hex digits');

export function newFileId(): string {
  return `file-${randomUUID().replaceAll('-', '')}`;
}

/** A file as stored: its blob's name is `<tenantId>/<id>`; the rest is the blob's metadata. */
export interface StoredFile {
  readonly id: string;
  readonly tenantId: string;
  readonly purpose: FilePurpose;
  readonly filename: string;
  readonly bytes: number;
  /** JSONL lines (requests, for a batch input). */
  readonly lines: number;
  /** Unix seconds, as OpenAI's `created_at`. */
  readonly createdAt: number;
}

/** OpenAI's File object. Files are validated while they upload, so a stored file is `processed`. */
export interface FileObject {
  readonly id: string;
  readonly object: 'file';
  readonly bytes: number;
  readonly created_at: number;
  readonly filename: string;
  readonly purpose: FilePurpose;
  readonly status: 'processed';
  readonly expires_at: number | null;
}

export function toFileObject(file: StoredFile): FileObject {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    expires_at: null,
  };
}

export interface FileLimits {
  readonly maxBytes: number;
  readonly maxLines: number;
  readonly maxLineBytes: number;
}
