/**
 * Reading, listing and deleting a tenant's files. Another tenant's file is "not found", never
 * "forbidden", so ids do not reveal what exists.
 */
import { NotFoundError } from '../errors/index.js';
import type { FilePurpose, StoredFile } from './file.js';
import type { FileContent, FileStore } from './store.js';

export async function getFile(files: FileStore, tenantId: string, id: string): Promise<StoredFile> {
  const file = await files.get(tenantId, id);
  if (!file) throw notFound(id);
  return file;
}

export async function fileContent(files: FileStore, tenantId: string, id: string): Promise<FileContent> {
  const content = await files.content(tenantId, id);
  if (!content) throw notFound(id);
  return content;
}

export async function deleteFile(files: FileStore, tenantId: string, id: string): Promise<void> {
  if (!(await files.delete(tenantId, id))) throw notFound(id);
}

export interface ListQuery {
  readonly purpose?: FilePurpose;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** A file id from the previous page: the page starts after it. */
  readonly after?: string;
}

export interface FilePage {
  readonly files: readonly StoredFile[];
  readonly hasMore: boolean;
}

/** OpenAI's cursor paging: by creation time (then id), `after` the last id of the previous page. */
export async function listFiles(files: FileStore, tenantId: string, query: ListQuery): Promise<FilePage> {
  const all = await files.list(tenantId, query.purpose);
  const sign = query.order === 'asc' ? 1 : -1;
  all.sort((a, b) => sign * (a.createdAt - b.createdAt || a.id.localeCompare(b.id)));
  const start = query.after ? all.findIndex((file) => file.id === query.after) + 1 : 0;
  const page = all.slice(start, start + query.limit);
  return { files: page, hasMore: start + page.length < all.length };
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`No file ${id}.`);
}
