/**
 * A multipart/form-data upload read as a stream (RFC 7578): the file part's bytes go to `onFile` as they
 * arrive, with backpressure, so a 200 MB upload never sits in memory. Small text fields (`purpose`) are
 * collected as they come, before or after the file. When `onFile` fails (a malformed line, a limit), the
 * rest of the request is read and discarded, up to the request's cap, so the client gets our answer
 * instead of a reset connection.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Busboy } from '@fastify/busboy';
import { ValidationError } from '../../shared/errors/index.js';
import { FileTooLargeError } from '../../shared/files/jsonl.js';

export interface UploadedFile {
  readonly filename: string;
  readonly content: AsyncIterable<Uint8Array>;
}

export interface FormFields {
  /** As far as the request was read. */
  get(name: string): string | undefined;
  /** Once the whole request was read. */
  final(name: string): Promise<string | undefined>;
}

export interface MultipartLimits {
  /** The file part's bytes; the callee enforces its own (equal) limit with a better message. */
  readonly maxFileBytes: number;
  /** The whole request: the file plus the fields and boundaries. */
  readonly maxRequestBytes: number;
}

export async function readFileUpload<T>(
  body: WebReadableStream | AsyncIterable<Uint8Array> | null,
  contentType: string,
  limits: MultipartLimits,
  onFile: (file: UploadedFile, fields: FormFields) => Promise<T>,
): Promise<T> {
  if (!/^multipart\/form-data\b/i.test(contentType))
    throw new ValidationError('Send the file as multipart/form-data.', [
      { field: '(header) content-type', message: 'must be multipart/form-data' },
    ]);
  if (!body)
    throw new ValidationError('The request body is empty.', [{ field: 'file', message: 'required' }]);
  const parser = Busboy({
    headers: { 'content-type': contentType },
    limits: {
      files: 1,
      fields: 8,
      fieldSize: 1024,
      parts: 16,
      headerPairs: 16,
      fileSize: limits.maxFileBytes + 1,
    },
  });
  const source = 'getReader' in body ? Readable.fromWeb(body) : Readable.from(body);
  const values = new Map<string, string>();
  const parsed = new Promise<void>((resolve, reject) => {
    parser.once('finish', resolve);
    parser.once('error', (error: Error) => reject(malformed(error)));
    source.once('error', reject);
  });
  // Awaited below, or dropped when the file fails first: never an unhandled rejection.
  parsed.catch(() => undefined);
  const fields: FormFields = {
    get: (name) => values.get(name),
    final: async (name) => {
      await parsed;
      return values.get(name);
    },
  };
  parser.on('field', (name: string, value: string) => values.set(name, value));
  let handled: Promise<T> | undefined;
  // The file's handler may fail while the parser still waits for bytes it will never take: race them.
  let fileFailed: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_resolve, reject) => (fileFailed = reject));
  failure.catch(() => undefined);
  parser.on('file', (name: string, stream: Readable, filename: string) => {
    // A body cut short makes the part stream emit 'error'. Whoever reads the part sees it through its
    // iterator; a part nobody reads (or one read to its end already) must not turn it into an uncaught
    // exception that would take the worker down with every request on it.
    stream.on('error', () => undefined);
    if (name !== 'file' || handled) {
      stream.resume();
      return;
    }
    stream.once('limit', () =>
      stream.destroy(
        new FileTooLargeError(`The file exceeds ${limits.maxFileBytes} bytes.`, limits.maxFileBytes),
      ),
    );
    handled = onFile({ filename, content: stream }, fields);
    handled.catch(fileFailed);
  });
  source.pipe(parser);
  try {
    await Promise.race([parsed, failure]);
    if (!handled)
      throw new ValidationError('The file field is required.', [{ field: 'file', message: 'required' }]);
    return await handled;
  } catch (error) {
    await discardRest(source, parser, limits.maxRequestBytes);
    throw error;
  }
}

function malformed(error: Error): ValidationError {
  return new ValidationError(`The multipart body is malformed: ${error.message}.`, [
    { field: '(body)', message: 'malformed multipart/form-data' },
  ]);
}

/** Reads what is left of the request without keeping it; beyond `cap` bytes, stops reading instead. */
async function discardRest(source: Readable, parser: NodeJS.WritableStream, cap: number): Promise<void> {
  source.unpipe(parser);
  if (source.readableEnded || source.destroyed) return;
  let read = 0;
  try {
    for await (const chunk of source) {
      read += (chunk as Buffer).length;
      if (read > cap) break;
    }
  } catch {
    // The client went away: nothing to answer.
  }
}
