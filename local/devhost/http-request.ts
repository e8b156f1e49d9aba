/**
 * Reads a node:http request into the `HttpRequest` the Functions runtime hands to handlers, so code
 * written against `@azure/functions` cannot tell the two hosts apart.
 */
import type { IncomingMessage } from 'node:http';
import { HttpRequest } from '../../functions/azure-functions.js';

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The whole body, refused as soon as it passes `limitBytes`: first by Content-Length, before reading a
 * byte, then by counting, since chunked requests have no length up front.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    return Promise.reject(new BodyTooLargeError(limitBytes));
  }
  // Plain 'data' events rather than `for await`: the async iterator costs a promise per chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limitBytes) {
        request.off('data', onData);
        request.pause();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

// Connection-level headers describe this hop, not the request; the Functions host does not pass them on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function toHeaderRecord(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    // Repeated headers join with ", " (RFC 9110 §5.3); node already does this except for set-cookie.
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * The request with its body still streaming, as the Functions library builds it with HTTP streams on
 * (`createStreamRequest`: a fetch Request over the incoming stream, `duplex: 'half'`). For routes that
 * read their body themselves under their own, larger limit (file uploads).
 */
export function toStreamingHttpRequest(
  request: IncomingMessage,
  params: Record<string, string>,
  url: URL,
): HttpRequest {
  const method = request.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const nativeRequest = new Request(url, {
    method,
    headers: toHeaderRecord(request),
    // The incoming stream itself, as the library passes its proxy request: fetch pulls from it on demand.
    ...(hasBody ? { body: request, duplex: 'half' } : {}),
  });
  // `nativeRequest` is how the library itself wraps a streamed request; it is not in the public typings.
  return new HttpRequest({ nativeRequest, params } as ConstructorParameters<typeof HttpRequest>[0]);
}

export function toHttpRequest(
  request: IncomingMessage,
  body: Buffer,
  params: Record<string, string>,
  /** The request target, already parsed (and refused when malformed) by the host. */
  url: URL,
): HttpRequest {
  // `query` is left to HttpRequest, which reads it from the URL and so keeps repeated keys (?a=1&a=2).
  return new HttpRequest({
    method: request.method ?? 'GET',
    url: url.toString(),
    headers: toHeaderRecord(request),
    params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  });
}
