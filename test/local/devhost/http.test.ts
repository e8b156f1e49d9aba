/**
 * The dev host's HTTP side through real HTTP (fetch) with tiny definitions: routing as the Functions
 * runtime does it, the real HttpRequest/InvocationContext handlers receive, and response writing.
 */
import { request as httpRequest } from 'node:http';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { HttpResponse } from '../../../functions/azure-functions.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FunctionDefinition, HttpFunctionDefinition } from '../../../functions/definitions.js';
import { readHostSettings, startDevHost, type DevHost } from '../../../local/devhost/index.js';
import { memoryLogger } from './helpers.js';

/** What the echo handler saw, returned as JSON so the test reads it back over HTTP. */
async function echo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const body = Buffer.from(await request.arrayBuffer());
  return {
    jsonBody: {
      functionName: context.functionName,
      invocationId: context.invocationId,
      traceParent: context.traceContext?.traceParent,
      method: request.method,
      url: request.url,
      params: request.params,
      query: [...request.query.entries()],
      contentType: request.headers.get('content-type'),
      custom: request.headers.get('x-custom'),
      bodyBase64: body.toString('base64'),
    },
  };
}

const http = (name: string, route: string, methods: HttpFunctionDefinition['methods'], handler = echo) =>
  ({ kind: 'http', name, route, methods, handler }) satisfies FunctionDefinition;

let release: (() => void) | undefined;
let slowStarted = false;
const definitions: FunctionDefinition[] = [
  http('listJobs', 'v1/jobs', ['GET', 'POST']),
  http('getJob', 'v1/jobs/{id}', ['GET']),
  http('batch', 'v1/jobs/batch', ['POST']),
  http('cancel', 'v1/jobs/{id}/cancel', ['POST']),
  http('optional', 'items/{id?}', ['GET']),
  http('numbers', 'numbers/{n:int}', ['GET']),
  http('words', 'numbers/{word}', ['GET']),
  http('rest', 'files/{*path}', ['GET']),
  http('created', 'created', ['POST'], () =>
    Promise.resolve({
      status: 201,
      headers: { location: '/api/v1/jobs/1', 'x-trace-id': 'abc' },
      jsonBody: { id: '1' },
    }),
  ),
  http('cookies', 'cookies', ['GET'], () => {
    const response = new HttpResponse({
      status: 200,
      body: 'text body',
      headers: { 'content-type': 'text/plain' },
    });
    response.headers.append('set-cookie', 'a=1; Path=/');
    response.headers.append('set-cookie', 'b=2; Path=/');
    response.headers.append('vary', 'accept');
    response.headers.append('vary', 'accept-encoding');
    return Promise.resolve(response);
  }),
  http('bytes', 'bytes', ['GET'], () => Promise.resolve({ body: Buffer.from([0, 1, 2, 255]) })),
  http('empty', 'empty', ['DELETE'], () => Promise.resolve({ status: 204 })),
  http('throws', 'throws', ['GET'], () => Promise.reject(new Error('secret internals: db password=hunter2'))),
  http('slow', 'slow', ['GET'], async () => {
    slowStarted = true;
    await new Promise<void>((resolve) => (release = resolve));
    return { status: 200, body: 'finished' };
  }),
];

const logger = memoryLogger();
let host: DevHost;
const api = (path: string) => `${host.url}/api/${path}`;

beforeAll(async () => {
  host = await startDevHost({ definitions, port: 0, log: logger, maxBodyBytes: 1024 });
});

afterAll(async () => {
  await host.close();
});

async function echoed(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('routing', () => {
  test('serves functions under the host.json route prefix', async () => {
    expect(readHostSettings().routePrefix).toBe('api');
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await echoed(await fetch(api('v1/jobs')))).functionName).toBe('listJobs');
    expect((await fetch(`${host.url}/v1/jobs`)).status).toBe(404);
  });

  test('decodes route parameters and keeps repeated query keys', async () => {
    const seen = await echoed(await fetch(api('v1/jobs/job%201?status=queued&status=running&x=')));
    expect(seen.functionName).toBe('getJob');
    expect(seen.params).toEqual({ id: 'job 1' });
    expect(seen.query).toEqual([
      ['status', 'queued'],
      ['status', 'running'],
      ['x', ''],
    ]);
  });

  test('literal segments win over parameters, and the method picks among path matches', async () => {
    expect((await echoed(await fetch(api('v1/jobs/batch'), { method: 'POST' }))).functionName).toBe('batch');
    // GET on the same path is not the batch route's method: the {id} route takes it.
    const get = await echoed(await fetch(api('v1/jobs/batch')));
    expect([get.functionName, get.params]).toEqual(['getJob', { id: 'batch' }]);
    const cancel = await echoed(await fetch(api('V1/Jobs/j-9/cancel'), { method: 'POST' }));
    expect([cancel.functionName, cancel.params]).toEqual(['cancel', { id: 'j-9' }]);
  });

  test('optional, constrained and catch-all parameters', async () => {
    expect((await echoed(await fetch(api('items')))).params).toEqual({});
    expect((await echoed(await fetch(api('items/7')))).params).toEqual({ id: '7' });
    expect((await echoed(await fetch(api('numbers/42')))).functionName).toBe('numbers');
    expect((await echoed(await fetch(api('numbers/forty')))).functionName).toBe('words');
    expect((await echoed(await fetch(api('files/a/b/c.txt')))).params).toEqual({ path: 'a/b/c.txt' });
  });

  test('unknown route: 404 problem+json', async () => {
    const response = await fetch(api('v1/nothing/here'));
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'about:blank', status: 404, title: 'Not Found' });
  });

  test('known route, wrong method: 405 with Allow', async () => {
    const response = await fetch(api('v1/jobs/j-1'), { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });
});

describe('requests', () => {
  test('handlers get the body bytes, headers, full URL and a real invocation context', async () => {
    const payload = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'héllo' }] });
    const seen = await echoed(
      await fetch(api('v1/jobs?x=1'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
        body: payload,
      }),
    );
    expect(Buffer.from(seen.bodyBase64 as string, 'base64').toString('utf8')).toBe(payload);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe(api('v1/jobs?x=1'));
    expect([seen.contentType, seen.custom]).toEqual(['application/json', 'yes']);
    expect(seen.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('binary bodies arrive unchanged', async () => {
    const bytes = Buffer.from([0, 255, 128, 10, 13]);
    const seen = await echoed(await fetch(api('v1/jobs'), { method: 'POST', body: bytes }));
    expect(Buffer.from(seen.bodyBase64 as string, 'base64')).toEqual(bytes);
  });

  test('continues the caller W3C trace with a new span, or starts one', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const continued = await echoed(
      await fetch(api('v1/jobs'), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }),
    );
    expect(continued.traceParent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(continued.traceParent).not.toContain('00f067aa0ba902b7');
    const fresh = await echoed(await fetch(api('v1/jobs'), { headers: { traceparent: 'garbage' } }));
    expect(fresh.traceParent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  test('a body over the host cap: 413 before the handler runs', async () => {
    const before = logger.lines.filter((l) => l.event === 'http.request' && l.fields.functionName).length;
    const response = await fetch(api('v1/jobs'), { method: 'POST', body: 'x'.repeat(1025) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ status: 413 });
    expect(logger.lines.filter((l) => l.event === 'http.request' && l.fields.functionName).length).toBe(
      before,
    );
  });

  test('a chunked body over the cap (no Content-Length) is cut off too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(api('v1/jobs'), { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('y'.repeat(800));
      req.end('y'.repeat(800));
    });
    expect(status).toBe(413);
  });
});

describe('responses', () => {
  test('status, headers and jsonBody with its content type', async () => {
    const response = await fetch(api('created'), { method: 'POST' });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/v1/jobs/1');
    expect(response.headers.get('x-trace-id')).toBe('abc');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ id: '1' });
  });

  test('an HttpResponse with a string body and repeated headers, each Set-Cookie on its own line', async () => {
    const response = await fetch(api('cookies'));
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.headers.get('vary')).toBe('accept, accept-encoding');
    expect(await response.text()).toBe('text body');
  });

  test('Buffer bodies and empty 204s', async () => {
    const bytes = await fetch(api('bytes'));
    expect(Buffer.from(await bytes.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    const empty = await fetch(api('empty'), { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  test('a thrown handler error: 500 problem+json without internals, logged with the invocation id', async () => {
    const response = await fetch(api('throws'));
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const text = await response.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('secret internals');
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal Server Error' });
    const logged = logger.lines.find((l) => l.event === 'http.handler_failed');
    expect(logged?.fields).toMatchObject({
      functionName: 'throws',
      errorMessage: expect.stringContaining('hunter2'),
    });
    expect(logged?.fields.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

test('close() lets an in-flight request finish, then refuses new connections', async () => {
  const own = await startDevHost({ definitions, port: 0, log: memoryLogger() });
  const pending = fetch(`${own.url}/api/slow`);
  await expect.poll(() => slowStarted).toBe(true);
  const closing = own.close();
  let closedEarly = false;
  void closing.then(() => (closedEarly = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(closedEarly).toBe(false);
  release!();
  const response = await pending;
  expect(await response.text()).toBe('finished');
  await closing;
  await expect(fetch(`${own.url}/api/slow`)).rejects.toThrow();
});

test('two functions on the same route and method are refused at start, as the runtime does', async () => {
  const clash = [http('a', 'v1/x/{id}', ['GET']), http('b', '/V1/x/{id}/', ['GET', 'POST'])];
  await expect(startDevHost({ definitions: clash, port: 0, log: memoryLogger() })).rejects.toThrow(
    /'a' and 'b' both serve GET v1\/x\/\{id\}/,
  );
});

test('context.log lines reach the host logger tagged with function, invocation and trace', async () => {
  const lines = memoryLogger();
  const own = await startDevHost({
    definitions: [
      http('logs', 'logs', ['GET'], (_request, context) => {
        context.warn('careful', new Error('disk nearly full'), { n: 1 });
        return Promise.resolve({ status: 204 });
      }),
    ],
    port: 0,
    log: lines,
  });
  try {
    expect((await fetch(`${own.url}/api/logs`)).status).toBe(204);
    const line = lines.lines.find((l) => l.event === 'function.log');
    expect(line?.level).toBe('warn');
    expect(line?.fields).toMatchObject({
      functionName: 'logs',
      message: 'careful Error: disk nearly full {"n":1}',
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    });
  } finally {
    await own.close();
  }
});
