/**
 * Wrappers of the Files, Batches and admin operations (the typed openapi-fetch client underneath): each
 * returns the documented body of a success and throws PromptPipelineError otherwise, like the job methods
 * in index.ts.
 */
import type { Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';
import { multipartBody, type UploadOptions, type UploadSource } from './upload.js';

type Schemas = components['schemas'];
type Query<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;
export type FileObject = Schemas['File'];
export type Batch = Schemas['Batch'];
export type DeadLetterQueue = operations['adminListDeadLetters']['parameters']['path']['queue'];

export interface Outcome<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

export interface Plumbing {
  readonly http: Client<paths>;
  readonly unwrap: <T>(call: Promise<Outcome<T>>) => Promise<T>;
  /** A request outside openapi-fetch (streamed bodies), with the client's base URL and credentials. */
  readonly send: (path: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;
  /** Throws PromptPipelineError for a response that is not a success. */
  readonly check: (response: Response) => Promise<Response>;
}

/** Batch states after which nothing moves the batch again. */
export const FINISHED_BATCH_STATUSES: readonly Batch['status'][] = [
  'completed',
  'failed',
  'expired',
  'cancelled',
];

export interface WaitForBatchOptions {
  /** Time between two reads of the batch (default 2 s): batches have no long poll. */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called with each read, e.g. for a progress bar of `request_counts`. */
  readonly onUpdate?: (batch: Batch) => void;
}

export function filesOf({ http, unwrap, send, check }: Plumbing) {
  const id = (value: string) => ({ params: { path: { id: value } } });
  return {
    /** Streams the file up as multipart/form-data; `onProgress` hears of the bytes sent. */
    async upload(source: UploadSource, options: UploadOptions = {}): Promise<FileObject> {
      const multipart = multipartBody(source, options);
      const response = await check(
        await send('/v1/files', {
          method: 'POST',
          headers: {
            'content-type': multipart.contentType,
            ...(multipart.length !== undefined ? { 'content-length': String(multipart.length) } : {}),
          },
          body: multipart.body,
          duplex: 'half',
        }),
      );
      return (await response.json()) as FileObject;
    },
    get: (fileId: string): Promise<FileObject> => unwrap(http.GET('/v1/files/{id}', id(fileId))),
    list: async (query: Query<'listFiles'> = {}): Promise<FileObject[]> =>
      (await unwrap(http.GET('/v1/files', { params: { query } }))).data,
    delete: (fileId: string) => unwrap(http.DELETE('/v1/files/{id}', id(fileId))),
    /** The file's bytes as a stream (a batch's output or error file: JSONL). */
    async content(fileId: string): Promise<ReadableStream<Uint8Array>> {
      const response = await check(await send(`/v1/files/${encodeURIComponent(fileId)}/content`, {}));
      return response.body as ReadableStream<Uint8Array>;
    },
  };
}

export function batchesOf({ http, unwrap }: Plumbing) {
  const id = (value: string) => ({ params: { path: { id: value } } });
  const get = (batchId: string): Promise<Batch> => unwrap(http.GET('/v1/batches/{id}', id(batchId)));
  return {
    create: (body: operations['createBatch']['requestBody']['content']['application/json']): Promise<Batch> =>
      unwrap(http.POST('/v1/batches', { body })),
    get,
    list: async (query: Query<'listBatches'> = {}): Promise<Batch[]> =>
      (await unwrap(http.GET('/v1/batches', { params: { query } }))).data,
    cancel: (batchId: string): Promise<Batch> => unwrap(http.POST('/v1/batches/{id}/cancel', id(batchId))),
    /** Reads the batch every `intervalMs` until it is finished (or `timeoutMs` passes: throws). */
    async wait(batchId: string, options: WaitForBatchOptions = {}): Promise<Batch> {
      const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
      for (;;) {
        const batch = await get(batchId);
        options.onUpdate?.(batch);
        if (FINISHED_BATCH_STATUSES.includes(batch.status)) return batch;
        if (Date.now() > deadline) throw new Error(`Batch ${batchId} is still ${batch.status}`);
        options.signal?.throwIfAborted();
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2000));
      }
    },
  };
}

export function adminOf({ http, unwrap }: Plumbing) {
  const queue = (name: DeadLetterQueue) => ({ path: { queue: name } });
  return {
    deadLetters: {
      list: (name: DeadLetterQueue, query: Query<'adminListDeadLetters'> = {}) =>
        unwrap(http.GET('/v1/admin/dead-letters/{queue}', { params: { ...queue(name), query } })),
      redrive: (name: DeadLetterQueue, selector: Schemas['DeadLetterSelector']) =>
        unwrap(http.POST('/v1/admin/dead-letters/{queue}/redrive', { params: queue(name), body: selector })),
      /** Removes the selected dead letters; the API wants the queue's name again as `confirm`. */
      purge: (name: DeadLetterQueue, selector: Schemas['DeadLetterSelector']) =>
        unwrap(
          http.POST('/v1/admin/dead-letters/{queue}/purge', {
            params: queue(name),
            body: { confirm: name, selector },
          }),
        ),
    },
    tenants: {
      list: () => unwrap(http.GET('/v1/admin/tenants')),
      get: (tenantId: string) =>
        unwrap(http.GET('/v1/admin/tenants/{tenantId}', { params: { path: { tenantId } } })),
    },
  };
}
