/**
 * Malformed request targets over a raw socket (fetch and node:http would refuse to send them): the dev
 * host answers each with a 4xx, never a 5xx, and keeps serving afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FunctionDefinition } from '../../../functions/definitions.js';
import { startDevHost, type DevHost } from '../../../local/devhost/index.js';
import { rawExchange } from './raw-http.js';
import { memoryLogger } from './helpers.js';

const definitions: FunctionDefinition[] = [
  {
    kind: 'http',
    name: 'health',
    route: 'health',
    methods: ['GET'],
    handler: () => Promise.resolve({ status: 200, body: 'ok' }),
  },
  {
    kind: 'http',
    name: 'getJob',
    route: 'v1/jobs/{id}',
    methods: ['GET'],
    handler: (request) => Promise.resolve({ status: 200, jsonBody: { id: request.params.id } }),
  },
];

/** Sends `requestLine` as the first line of an HTTP/1.1 request and reads the whole answer. */
const raw = (host: DevHost, requestLine: string) =>
  rawExchange(host, `${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);

const logger = memoryLogger();
let host: DevHost;

beforeAll(async () => {
  host = await startDevHost({ definitions, port: 0, log: logger });
});

afterAll(() => host?.close());

describe('the dev host and malformed request targets', () => {
  test('absolute-form with a broken authority (`GET http://[`) is a 400 problem, not a 500', async () => {
    for (const target of ['http://[', 'http://[::1/api/health', 'http://:/api/health', 'http://a:b:c/']) {
      const response = await raw(host, `GET ${target} HTTP/1.1`);
      expect(response.status, target).toBe(400);
      expect(response.head.toLowerCase(), target).toContain('content-type: application/problem+json');
      expect(JSON.parse(response.body), target).toMatchObject({ status: 400, title: 'Bad Request' });
    }
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  test.each([
    ['empty authority', 'GET //'],
    ['asterisk-form', 'GET *'],
    ['asterisk-form OPTIONS', 'OPTIONS *'],
    ['invalid percent-encoding', 'GET /api/%zz'],
    ['invalid percent-encoding in a route parameter', 'GET /api/v1/jobs/%zz'],
    ['a lone %', 'GET /api/v1/jobs/%'],
    ['8 KB', `GET /api/nope/${'a'.repeat(8_000)}`],
    ['40 KB (over the header limit)', `GET /api/${'x/'.repeat(20_000)}`],
    ['a NUL', 'GET /api/health\u0000'],
    ['a space', 'GET /api/he alth'],
    ['only a query', 'GET ?'],
    ['only a fragment', 'GET #'],
    ['absolute-form without a host', 'GET http:///api/health'],
  ])('%s is a 4xx', async (_label, requestLine) => {
    const response = await raw(host, `${requestLine} HTTP/1.1`);
    expect(response.status, response.head.slice(0, 80)).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  test('the host keeps serving after all of them', async () => {
    const health = await fetch(`${host.url}/api/health`);
    expect(health.status).toBe(200);
    expect((await raw(host, 'GET /api/health HTTP/1.1')).status).toBe(200);
    expect(logger.lines.filter((l) => l.event === 'http.host_failed')).toEqual([]);
  });
});
