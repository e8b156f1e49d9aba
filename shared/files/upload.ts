/**
 * Uploading a file: its purpose checked, its bytes checked as JSONL while they stream to the store, and
 * stored only when every line passed. Nothing is buffered whole: the store stages the bytes in blocks as
 * they come and commits them at the end (shared/blob/file-store.ts).
 */
import { ValidationError } from '../errors/index.js';
import {
  FILE_PURPOSES,
  UPLOAD_PURPOSES,
  newFileId,
  type FileLimits,
  type FilePurpose,
  type StoredFile,
} from './file.js';
import { JsonlValidator } from './jsonl.js';
import type { FileStore } from './store.js';

export interface FilesDeps {
  readonly files: FileStore;
  readonly limits: FileLimits;
  readonly clock: () => number;
}

export interface Upload {
  readonly tenantId: string;
  readonly filename: string;
  /**
   * The purpose field: `now` as far as the request was read, `final` once all of it was (multipart
   * senders, the openai SDK among them, may send it after the file).
   */
  readonly purpose: { now(): string | undefined; final(): Promise<string | undefined> };
  readonly content: AsyncIterable<Uint8Array>;
}

export async function uploadFile(deps: FilesDeps, upload: Upload): Promise<StoredFile> {
  const early = upload.purpose.now();
  if (early !== undefined) checkPurpose(early);
  const validator = new JsonlValidator(deps.limits);
  const id = newFileId();
  return deps.files.create(
    // The purpose is `batch` for every file we accept (checked before the commit, below).
    {
      id,
      tenantId: upload.tenantId,
      purpose: 'batch',
      filename: upload.filename,
      createdAt: Math.floor(deps.clock() / 1000),
    },
    validator.check(upload.content),
    async () => {
      checkPurpose(await upload.purpose.final());
      return { bytes: validator.bytes, lines: validator.lines };
    },
  );
}

export function checkPurpose(purpose: string | undefined): FilePurpose {
  if (purpose === undefined)
    throw new ValidationError('The purpose field is required.', [{ field: 'purpose', message: 'required' }]);
  if (!(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) {
    const known = (FILE_PURPOSES as readonly string[]).includes(purpose);
    const message = known
      ? `files with purpose ${purpose} are written by the platform`
      : `must be one of: ${UPLOAD_PURPOSES.join(', ')}`;
    throw new ValidationError(`The purpose is not supported: ${message}.`, [{ field: 'purpose', message }]);
  }
  return purpose as FilePurpose;
}

/** The filename as stored and returned: a name, not a path, and short. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).at(-1)?.trim() ?? '';
  // Blob metadata is ASCII: other characters are percent-encoded by the store, so keep the raw name short.
  return (base.length > 0 ? base : 'file.jsonl').slice(0, 255);
}
