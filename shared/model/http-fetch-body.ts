/**
 * Bodies for the node:http fetch (node-http-fetch.ts): a request body as bytes, and a received body
 * decoded the way fetch decodes Content-Encoding. Both are buffered: a chat completion request and
 * answer are a few KiB, and the SDK retries only bodies it can replay anyway.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';

const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);
const inflateAsync = promisify<Buffer, ZlibOptions, Buffer>(inflate);
const inflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(inflateRaw);
const brotliAsync = promisify<Buffer, ZlibOptions, Buffer>(brotliDecompress);

export interface EncodedBody {
  readonly bytes: Buffer;
  /** The Content-Type fetch would add for this kind of body when the caller set none. */
  readonly contentType?: string;
}

/**
 * Strings, bytes and URLSearchParams (all the openai SDK sends for JSON endpoints) are converted
 * synchronously. Blob, FormData, ReadableStream and async iterables (SDK file uploads) are serialised by
 * the platform's own `Response`, which writes multipart boundaries and Blob types exactly as fetch
 * would; they are buffered in full, which is fine for the sizes this transport is meant for.
 */
export function encodeRequestBody(body: unknown): EncodedBody | Promise<EncodedBody> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') {
    return { bytes: Buffer.from(body, 'utf8'), contentType: 'text/plain;charset=UTF-8' };
  }
  if (body instanceof ArrayBuffer) return { bytes: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) {
    return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
  if (body instanceof URLSearchParams) {
    return {
      bytes: Buffer.from(body.toString(), 'utf8'),
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  return serialiseWithPlatform(body);
}

async function serialiseWithPlatform(body: unknown): Promise<EncodedBody> {
  let serialised: Response;
  try {
    serialised = new Response(body as ConstructorParameters<typeof Response>[0]);
  } catch (cause) {
    throw new TypeError('fetch: unsupported request body type', { cause });
  }
  const bytes = Buffer.from(await serialised.arrayBuffer());
  const contentType = serialised.headers.get('content-type');
  return contentType === null ? { bytes } : { bytes, contentType };
}

/** Thrown (as a fetch `cause`) when a response body, raw or decoded, is larger than the cap. */
export class ResponseTooLargeError extends RangeError {
  constructor(readonly limitBytes: number) {
    super(`The response body is larger than ${limitBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * Undoes Content-Encoding as fetch does: codings are undone last-applied first; an unknown coding leaves
 * the body as received (undici does the same). Decoding runs on the libuv pool, off the main thread, and
 * `maxOutputLength` keeps a compression bomb from growing past the cap.
 */
export async function decodeResponseBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  if (!contentEncoding) return raw;
  const codings = contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  let body = raw;
  const options: ZlibOptions = { maxOutputLength: maxBytes };
  try {
    for (const coding of codings.reverse()) {
      if (coding === 'gzip' || coding === 'x-gzip') body = await gunzipAsync(body, options);
      else if (coding === 'deflate') {
        // RFC 9110 "deflate" is zlib-wrapped, but some servers send raw deflate; the zlib header's
        // compression-method nibble (8) tells them apart, as undici checks.
        const zlibWrapped = ((body[0] ?? 0) & 0x0f) === 0x08;
        body = await (zlibWrapped ? inflateAsync(body, options) : inflateRawAsync(body, options));
      } else if (coding === 'br') body = await brotliAsync(body, options);
      else return raw;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ResponseTooLargeError(maxBytes);
    throw error;
  }
  return body;
}
