/**
 * A `fetch` for the openai SDK's `fetch` option, on node:http / node:https with one keep-alive agent
 * per client. Node's global fetch (undici) costs about 1 ms of main-thread CPU per model call (WHATWG
 * streams, its wasm parser, per-request objects); this path keeps only what a buffered JSON call needs.
 *
 * What it does as fetch does: method, headers and body out; status, every header (multi-value headers
 * joined per the Fetch spec) and the body back as a `Response`; `init.signal` aborts with the signal's
 * reason (so the SDK still tells its own timeout, APIConnectionTimeoutError, from a caller's abort,
 * APIUserAbortError); network failures reject with `TypeError('fetch failed', { cause })`, which the SDK
 * maps to APIConnectionError; gzip/deflate/br bodies are decoded.
 * Where it differs on purpose:
 * - Redirects are never followed: Azure OpenAI does not redirect, and a 3xx reaching the SDK becomes an
 *   APIError naming the status rather than a silent replay of a prompt to another host.
 *   `redirect: 'error'` rejects as fetch does.
 * - The body is buffered before the promise resolves, and capped (16 MiB by default): a chat completion
 *   is a few KiB, so a larger answer is an error, not an out-of-memory. Streaming responses (SSE) are
 *   therefore not supported; we call chat completions without `stream`.
 * - `accept-encoding` is not added: answers are small and in-region, where decompressing costs more CPU
 *   than the bytes save. A caller may send it; whatever Content-Encoding arrives is decoded.
 * TLS is node:https with the default CA store and hostname checks.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import { urlToHttpOptions } from 'node:url';
import { BufferedResponse } from './buffered-response.js';
import {
  decodeResponseBody,
  encodeRequestBody,
  ResponseTooLargeError,
  type EncodedBody,
} from './http-fetch-body.js';

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface NodeHttpFetchOptions {
  /** Concurrent connections per origin; requests beyond wait for a socket. */
  readonly maxSockets?: number;
  /** Idle connections kept per origin for reuse. */
  readonly maxFreeSockets?: number;
  /**
   * An idle connection is closed after this long. Below the usual server idle timeouts (Azure's load
   * balancers drop idle flows after about 4 minutes) so we close first, rather than write into a socket
   * the server is closing. A server's `Keep-Alive: timeout=N` hint shortens it (Node's agent honours it).
   */
  readonly freeSocketTimeoutMs?: number;
  /** Largest response body accepted, before and after decoding. */
  readonly maxResponseBytes?: number;
}

export interface NodeHttpFetch {
  readonly fetch: FetchFunction;
  /** Closes every connection (idle and in flight). A later call opens new ones. */
  close(): void;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Statuses whose Response cannot have a body (Fetch spec "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Fetch normalises only these method names to upper case. */
const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

interface PreparedRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | undefined;
  readonly signal: AbortSignal | null | undefined;
  readonly redirect: RequestInit['redirect'];
}

export function createNodeHttpFetch(options: NodeHttpFetchOptions = {}): NodeHttpFetch {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const agentOptions = {
    keepAlive: true,
    // host.json lets an instance run 32 invocations of a queue at once: room for all of them, and idle
    // connections kept for a whole burst, so the next one does not pay for new TLS handshakes.
    maxSockets: options.maxSockets ?? 64,
    maxFreeSockets: options.maxFreeSockets ?? 32,
    // On a keep-alive agent `timeout` is the idle timeout: Node destroys a socket that times out only
    // while it sits in the free list; during a request it merely emits 'timeout', which we ignore (the
    // SDK's own timeout aborts through the signal).
    timeout: options.freeSocketTimeoutMs ?? 30_000,
    // The most recently used socket is the least likely to have been closed by the server meanwhile.
    scheduling: 'lifo' as const,
  };
  // Created lazily: most deployments of a pool may never be called by a given instance.
  let httpAgent: HttpAgent | undefined;
  let httpsAgent: HttpsAgent | undefined;

  const send = (prepared: PreparedRequest): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const { url, signal } = prepared;
      const https = url.protocol === 'https:';
      const agent = https
        ? (httpsAgent ??= new HttpsAgent(agentOptions))
        : (httpAgent ??= new HttpAgent(agentOptions));
      const requestOptions = {
        ...urlToHttpOptions(url),
        method: prepared.method,
        headers: prepared.headers,
        agent,
      };
      const req: ClientRequest = https ? httpsRequest(requestOptions) : httpRequest(requestOptions);
      let settled = false;

      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (cause: unknown) => finish(() => reject(new TypeError('fetch failed', { cause })));
      function onAbort() {
        finish(() => reject(abortReason(signal)));
        req.destroy();
      }

      // No retry on a reused socket that fails: a reset after the server read the request looks the same
      // as one it never saw, and the SDK (maxRetries 0) plus our scheduled retries own that decision, as
      // they did with undici. Honouring the server's Keep-Alive hint keeps stale-socket races rare.
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        readResponse(res, prepared, maxResponseBytes).then(
          (response) => finish(() => resolve(response)),
          (error: unknown) => {
            res.destroy();
            if (error instanceof TypeError && error.message === 'fetch failed') finish(() => reject(error));
            else fail(error);
          },
        );
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      // The signal may have fired between the caller's check and here.
      if (signal?.aborted) {
        onAbort();
        return;
      }
      req.end(prepared.body);
    });

  const nodeFetch: FetchFunction = async (input, init) => {
    const prepared = await prepareRequest(input, init);
    if (prepared.signal?.aborted) throw abortReason(prepared.signal);
    return send(prepared);
  };

  return {
    fetch: nodeFetch,
    close() {
      httpAgent?.destroy();
      httpsAgent?.destroy();
      httpAgent = undefined;
      httpsAgent = undefined;
    },
  };
}

/** fetch rejects with the signal's reason, or an AbortError DOMException when it has none. */
function abortReason(signal: AbortSignal | null | undefined): Error {
  // Typed as Error for the linter; a caller's abort(reason) may be any value, passed on unchanged as fetch does.
  return (
    (signal?.reason as Error | undefined) ?? new DOMException('This operation was aborted', 'AbortError')
  );
}

async function prepareRequest(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<PreparedRequest> {
  const fromRequest = input instanceof Request ? input : undefined;
  const url = new URL(fromRequest ? fromRequest.url : input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${url.protocol}`) });
  }
  const rawMethod = init.method ?? fromRequest?.method ?? 'GET';
  const upper = rawMethod.toUpperCase();
  const method = NORMALISED_METHODS.has(upper) ? upper : rawMethod;
  const headers = toOutgoingHeaders(init.headers ?? fromRequest?.headers);
  let encoded: EncodedBody | undefined;
  if (init.body !== undefined && init.body !== null) encoded = await encodeRequestBody(init.body);
  else if (fromRequest?.body) encoded = { bytes: Buffer.from(await fromRequest.arrayBuffer()) };
  if (encoded && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError('Request with GET/HEAD method cannot have body.');
  }
  if (encoded) {
    if (encoded.contentType && headers['content-type'] === undefined)
      headers['content-type'] = encoded.contentType;
    headers['content-length'] = encoded.bytes.byteLength;
  } else if (method === 'POST' || method === 'PUT') {
    // fetch sends an explicit zero length for a body-less POST/PUT; some servers require it.
    headers['content-length'] = 0;
  }
  return {
    url,
    method,
    headers,
    body: encoded?.bytes,
    signal: init.signal !== undefined ? init.signal : fromRequest?.signal,
    redirect: init.redirect ?? fromRequest?.redirect,
  };
}

/** Lower-cased names; repeated names in an array or record are joined with ", " as `Headers` does. */
function toOutgoingHeaders(source: RequestInit['headers']): OutgoingHttpHeaders {
  const headers: Record<string, string> = {};
  if (source === undefined) return headers;
  const add = (value: string, name: string) => {
    const key = name.toLowerCase();
    const existing = headers[key];
    headers[key] = existing === undefined ? value : `${existing}, ${value}`;
  };
  if (source instanceof Headers) source.forEach(add);
  else if (Array.isArray(source)) {
    for (const pair of source) {
      const [name, value] = pair;
      if (pair.length !== 2 || name === undefined || value === undefined) {
        throw new TypeError('fetch: a header pair must have exactly a name and a value');
      }
      add(value, name);
    }
  } else {
    for (const [name, value] of Object.entries(source)) {
      if (typeof value === 'string') add(value, name);
      else for (const each of value) add(each, name);
    }
  }
  return headers;
}

function readResponse(res: IncomingMessage, prepared: PreparedRequest, maxBytes: number): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 599) {
      reject(new TypeError('fetch failed', { cause: new Error(`unsupported HTTP status ${status}`) }));
      return;
    }
    if (prepared.redirect === 'error' && REDIRECT_STATUSES.has(status)) {
      reject(new TypeError('fetch failed', { cause: new Error(`unexpected redirect (${status})`) }));
      return;
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new TypeError('fetch failed', { cause: new ResponseTooLargeError(maxBytes) }));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        reject(new TypeError('fetch failed', { cause: new ResponseTooLargeError(maxBytes) }));
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', reject);
    // A connection that closes before the whole body arrived is a network error, as in fetch.
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the response body was complete'));
    });
    res.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      decodeResponseBody(raw, res.headers['content-encoding'], maxBytes).then((body) => {
        try {
          resolve(toResponse(res, status, body, prepared));
        } catch (error) {
          // An invalid header value from the server: a network error in fetch's terms.
          reject(new TypeError('fetch failed', { cause: error }));
        }
      }, reject);
    });
  });
}

function toResponse(res: IncomingMessage, status: number, body: Buffer, prepared: PreparedRequest): Response {
  // rawHeaders keeps every occurrence; Headers.append joins repeats with ", " (set-cookie kept apart),
  // which is what fetch exposes. `res.headers` would drop repeats of some names.
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const nullBody = NULL_BODY_STATUSES.has(status) || prepared.method === 'HEAD';
  return new BufferedResponse(
    nullBody ? null : body,
    { status, statusText: res.statusMessage ?? '', headers },
    prepared.url.href,
  );
}
