/** FileStore in memory, with the Blob store's contract: nothing stored when the chunks throw. */
import type { FilePurpose, StoredFile } from '../../shared/files/file.js';
import type { FileContent, FileDraft, FileStore } from '../../shared/files/store.js';

export class MemoryFileStore implements FileStore {
  readonly files = new Map<string, { file: StoredFile; content: Buffer }>();

  async create(
    draft: FileDraft,
    chunks: AsyncIterable<Uint8Array>,
    summary: () => Promise<{ readonly bytes: number; readonly lines: number }>,
  ): Promise<StoredFile> {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(Buffer.from(chunk));
    const file: StoredFile = { ...draft, ...(await summary()) };
    this.files.set(`${draft.tenantId}/${draft.id}`, { file, content: Buffer.concat(parts) });
    return file;
  }

  get(tenantId: string, id: string): Promise<StoredFile | undefined> {
    return Promise.resolve(this.files.get(`${tenantId}/${id}`)?.file);
  }

  content(tenantId: string, id: string): Promise<FileContent | undefined> {
    const entry = this.files.get(`${tenantId}/${id}`);
    if (!entry) return Promise.resolve(undefined);
    const { content } = entry;
    return Promise.resolve({
      file: entry.file,
      stream: (async function* () {
        await Promise.resolve();
        yield content;
      })(),
    });
  }

  delete(tenantId: string, id: string): Promise<boolean> {
    return Promise.resolve(this.files.delete(`${tenantId}/${id}`));
  }

  list(tenantId: string, purpose?: FilePurpose): Promise<StoredFile[]> {
    return Promise.resolve(
      [...this.files.values()]
        .map((entry) => entry.file)
        .filter((file) => file.tenantId === tenantId && (!purpose || file.purpose === purpose)),
    );
  }
}
