/**
 * Azure OpenAI's Files API as Global Batch uses it: JSONL uploads with purpose `batch` (multipart, as the
 * `openai` SDK sends them), retrieve, content, delete, and the `batch_output` files a batch writes. Files
 * live in memory: the simulator serves tests and the local stack, not terabytes.
 */
import { randomBytes } from 'node:crypto';

export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly createdAt: number;
  readonly content: string;
}

const UPLOAD_PURPOSES = new Set(['batch', 'fine-tune', 'assistants']);

export class SimulatedFiles {
  private readonly files = new Map<string, StoredFile>();

  /** Parses the multipart body the SDK sends; throws an Error whose message is the service's 400. */
  async upload(contentType: string, body: string): Promise<StoredFile> {
    if (!contentType.startsWith('multipart/form-data')) {
      throw new Error('The request must be multipart/form-data with a file and a purpose.');
    }
    const form = await new Request('http://simulator/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    }).formData();
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (typeof purpose !== 'string' || !UPLOAD_PURPOSES.has(purpose)) {
      throw new Error(`Invalid value for purpose: ${typeof purpose === 'string' ? purpose : '(missing)'}.`);
    }
    if (!(file instanceof File)) throw new Error("The request must contain a 'file' part.");
    return this.add(file.name || 'upload.jsonl', purpose, await file.text());
  }

  add(filename: string, purpose: string, content: string): StoredFile {
    const stored: StoredFile = {
      id: `file-${randomBytes(16).toString('hex')}`,
      filename,
      purpose,
      createdAt: Math.floor(Date.now() / 1000),
      content,
    };
    this.files.set(stored.id, stored);
    return stored;
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  delete(id: string): boolean {
    return this.files.delete(id);
  }

  list(): StoredFile[] {
    return [...this.files.values()];
  }
}

/** The File object as Azure OpenAI returns it. */
export function toFileObject(file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: Buffer.byteLength(file.content),
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
  };
}
