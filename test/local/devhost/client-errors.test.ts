/**
 * Requests node's HTTP parser refuses (found by test/security/fuzz-routes.test.ts): the dev host answers
 * them as problem+json like every other refusal, instead of node's bare `431`/`400` status line without a
 * body, and keeps serving.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FunctionDefinition } from '../../../functions/definitions.js';
import { startDevHost, type DevHost } from '../../../local/devhost/index.js';
import { rawExchange as raw } from './raw-http.js';
import { memoryLogger } from './helpers.js';

const definitions: FunctionDefinition[] = [
  {
    kind: 'http',
    name: 'health',
    route: 'health',
    methods: ['GET', 'HEAD'],
    handler: () => Promise.resolve({ status: 200, body: 'ok' }),
  },
];

const logger = memoryLogger();
let host: DevHost;
const pad = `x-pad: ${'a'.repeat(17_000)}\r\n`;

beforeAll(async () => {
  host = await startDevHost({ definitions, port: 0, log: logger });
});

afterAll(() => host?.close());

describe('requests the HTTP parser refuses', () => {
  test('headers over 16 KB: 431 problem+json, and the connection closes', async () => {
    const response = await raw(host, `GET /api/health HTTP/1.1\r\nHost: h\r\n${pad}\r\n`);
    expect(response.status).toBe(431);
    expect(response.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(response.head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(response.body)).toMatchObject({
      status: 431,
      title: 'Request Header Fields Too Large',
    });
  });

  test('a Latin-1 byte in the target (`/api/v1/jobs/é` unencoded): 400 problem+json', async () => {
    const response = await raw(host, 'POST /api/v1/jobs/\u00e9/cancel HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ status: 400, title: 'Bad Request' });
  });

  test('conflicting Content-Length headers: 400 problem+json', async () => {
    const response = await raw(
      host,
      'POST /api/health HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    );
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ status: 400 });
  });

  test('a HEAD gets the same head without a body', async () => {
    const response = await raw(host, `HEAD /api/health HTTP/1.1\r\nHost: h\r\n${pad}\r\n`);
    expect(response.status).toBe(431);
    expect(response.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(response.body).toBe('');
  });

  test('the host keeps serving, and logs each refusal without an error', async () => {
    expect((await fetch(`${host.url}/api/health`)).status).toBe(200);
    expect(logger.lines.filter((l) => l.event === 'http.client_error').length).toBeGreaterThanOrEqual(4);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
