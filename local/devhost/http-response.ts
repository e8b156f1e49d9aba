/**
 * Writes what a handler returned (`HttpResponseInit` or `HttpResponse`) to the node:http response, and
 * the host's own RFC 9457 problem+json answers for requests that never reach a handler.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Cookie, HttpResponseInit } from '@azure/functions';
import { HttpResponse } from '../../functions/azure-functions.js';

/** Converted the way the Functions library does: a plain init becomes an `HttpResponse`. */
export function toHttpResponse(result: HttpResponseInit | HttpResponse | undefined | void): HttpResponse {
  if (result instanceof HttpResponse) return result;
  // No return value: an empty 200, as `new HttpResponse()` gives.
  return new HttpResponse(result ?? {});
}

export function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

export async function writeHttpResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  // Headers joins repeated values with ", ", which breaks Set-Cookie: keep each cookie its own line.
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (response.body === null) {
    res.end();
    return;
  }
  // A handler that set Content-Length itself streams a body it knows the size of (a file download):
  // written as it is read, never whole in memory.
  // So does an event stream (text/event-stream), each event as it comes: the headers go at once, and a
  // client that goes away cancels the handler's stream (pipeline destroys the source on close).
  const eventStream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (response.headers.has('content-length') || eventStream) {
    if (eventStream) res.flushHeaders();
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res).catch(
      (error: unknown) => {
        // A client that left mid-stream is the end of an event stream, not the host's failure.
        if (!(eventStream && res.destroyed)) throw error;
      },
    );
    return;
  }
  // Otherwise buffered: one write with a Content-Length instead of a chunked stream, which costs several
  // writes per response.
  const bytes = Buffer.from(await response.arrayBuffer());
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly type?: string;
}

/** RFC 9457 problem details; `type` defaults to about:blank, whose title is the status phrase. */
export function writeProblem(
  res: ServerResponse,
  problem: Problem,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ ...problem, type: problem.type ?? 'about:blank' });
  res.writeHead(problem.status, {
    ...headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
