/**
 * The node:http fetch against a real local node:http server, alone and as the openai SDK's `fetch`:
 * what the SDK and the model client read (status, headers, body, error classes) must be what they got
 * from the global fetch.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  AzureOpenAI,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createChatEndpoint } from '../../../shared/model/endpoint.js';
import { ResponseTooLargeError } from '../../../shared/model/http-fetch-body.js';
import {
  createNodeHttpFetch,
  type FetchFunction,
  type NodeHttpFetch,
} from '../../../shared/model/node-http-fetch.js';
import { parseRateLimit, parseRetryAfterMs } from '../../../shared/model/rate-limit-headers.js';
import { deployment } from './helpers.js';

interface TestServer {
  readonly url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Requests received so far, with their bodies. */
  readonly received: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[];
  /** Sockets currently open on the server side. */
  readonly open: Set<Socket>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(handler: Handler): Promise<TestServer> {
  let connections = 0;
  const open = new Set<Socket>();
  const received: TestServer['received'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const started: TestServer = {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    received,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanups.push(() => started.close());
  return started;
}

function transport(options: Parameters<typeof createNodeHttpFetch>[0] = {}): NodeHttpFetch {
  const created = createNodeHttpFetch(options);
  cleanups.push(() => created.close());
  return created;
}

const completionBody = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [
    { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hi', refusal: null } },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sdkClient(url: string, fetch: FetchFunction, timeout = 2_000): AzureOpenAI {
  return new AzureOpenAI({
    endpoint: url,
    apiKey: 'k',
    apiVersion: '2024-10-21',
    deployment: 'chat',
    maxRetries: 0,
    timeout,
    fetch,
  });
}

const chatParams = { model: 'chat', messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 5 };

/** The error the SDK throws for a call, with this fetch. */
async function sdkError(
  url: string,
  fetch: FetchFunction,
  options: { timeout?: number; signal?: AbortSignal } = {},
): Promise<unknown> {
  return sdkClient(url, fetch, options.timeout)
    .chat.completions.create(chatParams, options.signal ? { signal: options.signal } : {})
    .then(
      () => new Error('the call succeeded'),
      (error: unknown) => error,
    );
}

/** A server that accepts requests and never answers; `arrived(n)` waits until n requests came in. */
async function hangingServer(): Promise<{ server: TestServer; arrived: (count: number) => Promise<void> }> {
  const server = await serve(() => undefined);
  const arrived = async (count: number) => {
    await expect.poll(() => server.received.length).toBeGreaterThanOrEqual(count);
  };
  return { server, arrived };
}

async function refusedUrl(): Promise<string> {
  const server = await serve(() => undefined);
  await server.close();
  return server.url;
}

describe('createNodeHttpFetch', () => {
  it('sends method, headers and body, and returns status, every header and the body', async () => {
    const server = await serve((_req, res, body) => {
      res.statusCode = 201;
      res.statusMessage = 'Created Here';
      res.setHeader('x-ratelimit-remaining-tokens', '1234');
      res.setHeader('retry-after', '7');
      res.setHeader('apim-request-id', 'apim-1');
      // Repeated headers: fetch joins them with ", "; set-cookie stays separate.
      res.setHeader('x-multi', ['a', 'b']);
      res.setHeader('set-cookie', ['c1=1', 'c2=2']);
      res.end(Buffer.concat([Buffer.from('echo:'), body]));
    });
    const { fetch } = transport();
    const response = await fetch(`${server.url}/path?q=1`, {
      method: 'post',
      headers: new Headers({ 'content-type': 'application/json', 'X-Custom': 'v' }),
      body: '{"é":1}',
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Created Here');
    expect(response.ok).toBe(true);
    expect(response.url).toBe(`${server.url}/path?q=1`);
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('1234');
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('apim-request-id')).toBe('apim-1');
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(response.headers.getSetCookie()).toEqual(['c1=1', 'c2=2']);
    expect(await response.text()).toBe('echo:{"é":1}');

    const seen = server.received[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/path?q=1');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['x-custom']).toBe('v');
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength('{"é":1}')));
    expect(seen.body.toString()).toBe('{"é":1}');
  });

  it('accepts headers as pairs or a record, and bytes, URLSearchParams and FormData bodies', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const { fetch } = transport();
    await fetch(server.url, {
      method: 'PUT',
      headers: [
        ['x-a', '1'],
        ['X-A', '2'],
      ],
      body: new Uint8Array([1, 2, 3]).subarray(1),
    });
    await fetch(server.url, {
      method: 'POST',
      headers: { 'x-b': '3' },
      body: new URLSearchParams({ k: 'v w' }),
    });
    const form = new FormData();
    form.set('field', 'value');
    await fetch(server.url, { method: 'POST', body: form });
    await fetch(server.url, { method: 'POST', body: 'plain' });

    const [bytes, params, multipart, plain] = server.received;
    expect(bytes!.headers['x-a']).toBe('1, 2');
    expect([...bytes!.body]).toEqual([2, 3]);
    expect(params!.headers['x-b']).toBe('3');
    expect(params!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(params!.body.toString()).toBe('k=v+w');
    expect(multipart!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart!.body.toString()).toContain('name="field"\r\n\r\nvalue');
    expect(plain!.headers['content-type']).toBe('text/plain;charset=UTF-8');
  });

  it('refuses a body on GET, as fetch does', async () => {
    const { fetch } = transport();
    await expect(fetch('http://127.0.0.1:9/', { method: 'GET', body: 'x' })).rejects.toThrow(TypeError);
  });

  it('gives a null body for 204 and 304, which Response cannot carry', async () => {
    const server = await serve((req, res) => {
      res.writeHead(req.url === '/304' ? 304 : 204, { 'x-kept': 'yes' });
      res.end();
    });
    const { fetch } = transport();
    for (const path of ['/204', '/304']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.body).toBeNull();
      expect(response.headers.get('x-kept')).toBe('yes');
    }
  });

  it('returns a redirect as it came instead of following it; redirect "error" rejects', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: 'https://elsewhere.invalid/' });
      res.end();
    });
    const { fetch } = transport();
    const response = await fetch(server.url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://elsewhere.invalid/');
    expect(server.received).toHaveLength(1);
    await expect(fetch(server.url, { redirect: 'error' })).rejects.toThrow('fetch failed');
  });

  it('reuses one kept-alive connection for sequential calls, and close() drops it', async () => {
    const server = await serve((_req, res) => json(res, 200, { ok: true }));
    const created = transport();
    for (let i = 0; i < 5; i += 1)
      expect(await (await created.fetch(server.url)).json()).toEqual({ ok: true });
    expect(server.connections()).toBe(1);
    expect(server.received.map((r) => r.headers.connection)).toEqual(Array(5).fill('keep-alive'));

    created.close();
    await expect.poll(() => server.open.size).toBe(0);
    await created.fetch(server.url);
    expect(server.connections()).toBe(2);
  });

  it('keeps idle connections without keeping the process alive', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const refCountedSockets = () =>
      process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
    const created = transport();
    await (await created.fetch(server.url)).text();
    await expect.poll(() => server.open.size).toBe(1);
    const withConnection = refCountedSockets();
    created.close();
    await expect.poll(() => server.open.size).toBe(0);
    // Both ends of the kept connection live in this process: only the server's end may hold it open,
    // so closing the connection releases exactly one ref'd socket.
    expect(withConnection - refCountedSockets()).toBe(1);
  });

  it('sends a Request object and a ReadableStream body', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const { fetch } = transport();
    await fetch(
      new Request(`${server.url}/r`, { method: 'PUT', headers: { 'x-r': '1' }, body: 'from request' }),
    );
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed '));
        controller.enqueue(new TextEncoder().encode('body'));
        controller.close();
      },
    });
    await fetch(server.url, { method: 'POST', body: stream, duplex: 'half' });
    const [fromRequest, streamed] = server.received;
    expect(fromRequest).toMatchObject({ method: 'PUT', url: '/r' });
    expect(fromRequest!.headers['x-r']).toBe('1');
    expect(fromRequest!.body.toString()).toBe('from request');
    expect(streamed!.body.toString()).toBe('streamed body');
    expect(streamed!.headers['content-length']).toBe('13');
  });

  it('closes idle connections after the idle timeout, but never a request that takes longer', async () => {
    const server = await serve((_req, res) => setTimeout(() => res.end('slow'), 150));
    const { fetch } = transport({ freeSocketTimeoutMs: 50 });
    expect(await (await fetch(server.url)).text()).toBe('slow');
    await expect.poll(() => server.open.size).toBe(0);
  });

  it('verifies TLS certificates with the default CA store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-http-fetch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // A throwaway self-signed certificate: no public CA vouches for it, so the handshake must fail.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('should not be read'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const error = (await transport()
      .fetch(`https://localhost:${port}/`)
      .catch((e: unknown) => e)) as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('decodes gzip, deflate (zlib and raw) and br bodies', async () => {
    const text = JSON.stringify({ content: 'x'.repeat(2_000) });
    const encoders: Record<string, (input: Buffer) => Buffer> = {
      gzip: gzipSync,
      deflate: deflateSync,
      'deflate-raw': deflateRawSync,
      br: brotliCompressSync,
    };
    const server = await serve((req, res) => {
      const name = req.url!.slice(1);
      res.writeHead(200, { 'content-encoding': name === 'deflate-raw' ? 'deflate' : name });
      res.end(encoders[name]!(Buffer.from(text)));
    });
    const { fetch } = transport();
    for (const name of Object.keys(encoders)) {
      expect(await (await fetch(`${server.url}/${name}`)).text()).toBe(text);
    }
  });

  it('caps the response body: declared, streamed and decompressed', async () => {
    const limit = 1_024;
    const server = await serve((req, res) => {
      if (req.url === '/declared') res.end(Buffer.alloc(limit + 1));
      else if (req.url === '/chunked') {
        // No content-length: the cap must hold while the body streams in.
        res.write(Buffer.alloc(limit));
        res.end(Buffer.alloc(10));
      } else if (req.url === '/bomb') {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync(Buffer.alloc(1_000_000)));
      } else res.end(Buffer.alloc(limit));
    });
    const { fetch } = transport({ maxResponseBytes: limit });
    expect((await (await fetch(`${server.url}/exact`)).arrayBuffer()).byteLength).toBe(limit);
    for (const path of ['/declared', '/chunked', '/bomb']) {
      const error = await fetch(`${server.url}${path}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).cause).toBeInstanceOf(ResponseTooLargeError);
    }
  });

  it('rejects like undici on a refused connection and on a reset mid-body', async () => {
    const { fetch } = transport();
    const refused = (await fetch(await refusedUrl()).catch((e: unknown) => e)) as TypeError;
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.message).toBe('fetch failed');
    expect((refused.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    await expect(fetch(server.url)).rejects.toThrow('fetch failed');
  });

  it('rejects at once, sending nothing, when the signal is already aborted', async () => {
    const server = await serve((_req, res) => res.end());
    const { fetch } = transport();
    const error = await fetch(server.url, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
    const reason = new Error('mine');
    await expect(fetch(server.url, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.connections()).toBe(0);
  });

  it('destroys the request and rejects with the reason when aborted in flight', async () => {
    const { server, arrived } = await hangingServer();
    const { fetch } = transport();
    const controller = new AbortController();
    const pending = fetch(server.url, { method: 'POST', body: '{}', signal: controller.signal });
    await arrived(1);
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect((error as DOMException).name).toBe('AbortError');
    // The connection is gone, not returned to the pool with a half-read response on it.
    await expect.poll(() => server.open.size).toBe(0);
  });
});

describe('createNodeHttpFetch as the openai SDK fetch', () => {
  it('carries the rate-limit headers and the completion through the SDK', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, completionBody, {
        'x-ratelimit-remaining-tokens': '4321',
        'x-ratelimit-remaining-requests': '12',
        'apim-request-id': 'apim-2',
      }),
    );
    const { data, response } = await sdkClient(server.url, transport().fetch)
      .chat.completions.create(chatParams)
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('hi');
    expect(parseRateLimit(response.headers)).toEqual({ remainingTokens: 4321, remainingRequests: 12 });
    expect(response.headers.get('apim-request-id')).toBe('apim-2');
    expect(server.received[0]!.url).toBe('/openai/deployments/chat/chat/completions?api-version=2024-10-21');
    expect(JSON.parse(server.received[0]!.body.toString())).toMatchObject({ messages: chatParams.messages });
  });

  it('turns 429 and 500 answers into the SDK error types with their headers and messages', async () => {
    const server = await serve((req, res) => {
      if (server.received.length === 1) {
        json(
          res,
          429,
          { error: { code: '429', message: 'Rate limit is exceeded.' } },
          { 'retry-after': '3', 'retry-after-ms': '2500', 'x-ratelimit-remaining-tokens': '0' },
        );
      } else json(res, 500, { error: { code: 'InternalServerError', message: 'Backend broke' } });
      void req;
    });
    const { fetch } = transport();
    const limited = await sdkError(server.url, fetch);
    expect(limited).toBeInstanceOf(RateLimitError);
    const headers = (limited as RateLimitError).headers;
    expect(parseRetryAfterMs(headers)).toBe(2_500);
    expect(headers.get('retry-after')).toBe('3');
    expect(parseRateLimit(headers).remainingTokens).toBe(0);
    expect((limited as RateLimitError).message).toContain('Rate limit is exceeded.');

    const failed = await sdkError(server.url, fetch);
    expect(failed).toBeInstanceOf(InternalServerError);
    expect((failed as InternalServerError).message).toContain('Backend broke');
  });

  it('times out as APIConnectionTimeoutError, the same class as with the global fetch', async () => {
    const { server } = await hangingServer();
    const ours = await sdkError(server.url, transport().fetch, { timeout: 100 });
    const global = await sdkError(server.url, globalThis.fetch, { timeout: 100 });
    expect(ours).toBeInstanceOf(APIConnectionTimeoutError);
    expect(global).toBeInstanceOf(APIConnectionTimeoutError);
  });

  it("maps a caller's abort, before and during the call, to APIUserAbortError as with the global fetch", async () => {
    const { server, arrived } = await hangingServer();
    const { fetch } = transport();
    expect(await sdkError(server.url, fetch, { signal: AbortSignal.abort() })).toBeInstanceOf(
      APIUserAbortError,
    );
    for (const [index, candidate] of [fetch, globalThis.fetch].entries()) {
      const controller = new AbortController();
      const pending = sdkError(server.url, candidate, { signal: controller.signal, timeout: 5_000 });
      await arrived(index + 1);
      controller.abort();
      const error = await pending;
      expect(error).toBeInstanceOf(APIUserAbortError);
      expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    }
  });

  it('maps a refused connection to APIConnectionError (not a timeout), as with the global fetch', async () => {
    const url = await refusedUrl();
    for (const candidate of [transport().fetch, globalThis.fetch]) {
      const error = await sdkError(url, candidate);
      expect(error).toBeInstanceOf(APIConnectionError);
      expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    }
  });
});

describe('the chat endpoint over createNodeHttpFetch', () => {
  it('fires onSend as the request leaves, keeps one connection, and close() releases it', async () => {
    const server = await serve((_req, res) => json(res, 200, completionBody));
    const endpoint = createChatEndpoint(
      deployment({ name: 'chat', endpoint: server.url }),
      { apiKey: 'k' },
      { apiVersion: '2024-10-21', timeoutMs: 2_000 },
    );
    cleanups.push(() => endpoint.close?.());
    let sent = 0;
    const request = { model: 'chat', messages: [{ role: 'user' as const, content: 'hi' }] };
    for (let i = 0; i < 3; i += 1) {
      const result = await endpoint.call(request, 5, undefined, () => {
        // The request has not reached the server yet when the hook runs.
        expect(server.received).toHaveLength(i);
        sent += 1;
      });
      expect(result.completion.content).toBe('hi');
    }
    expect(sent).toBe(3);
    expect(server.connections()).toBe(1);
    endpoint.close?.();
    await expect.poll(() => server.open.size).toBe(0);
  });
});
