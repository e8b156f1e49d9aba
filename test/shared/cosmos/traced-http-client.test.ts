import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosOperationOf, createTracedHttpClient } from '../../../shared/cosmos/traced-http-client.js';
import { inSpan } from '../../../shared/telemetry/tracing.js';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../../fakes/in-memory-telemetry.js';

const ENDPOINT = 'https://acct.documents.azure.com:443';

const request = (method: string, path: string, headers: Record<string, string> = {}) =>
  createPipelineRequest({
    url: `${ENDPOINT}${path}`,
    method: method as 'GET',
    headers: createHttpHeaders(headers),
  });

/** An HTTP client answering every request with `status` and a request charge. */
const answering = (status: number, charge = '1.24'): HttpClient => ({
  sendRequest: (req) =>
    Promise.resolve({
      request: req,
      status,
      headers: createHttpHeaders({ 'x-ms-request-charge': charge, 'x-ms-substatus': '0' }),
      bodyAsText: '{}',
    }),
});

describe('cosmosOperationOf', () => {
  it.each([
    ['GET', '/dbs/pp/colls/jobs/docs/job_1', {}, 'read_item'],
    ['GET', '/dbs/pp/colls/jobs/docs', {}, 'read_all_items'],
    ['POST', '/dbs/pp/colls/jobs/docs', { 'x-ms-documentdb-isquery': 'True' }, 'query_items'],
    ['POST', '/dbs/pp/colls/jobs/docs', { 'x-ms-cosmos-is-batch-request': 'True' }, 'execute_batch'],
    ['POST', '/dbs/pp/colls/jobs/docs', { 'x-ms-documentdb-is-upsert': 'True' }, 'upsert_item'],
    ['POST', '/dbs/pp/colls/jobs/docs', {}, 'create_item'],
    ['PUT', '/dbs/pp/colls/jobs/docs/job_1', {}, 'replace_item'],
    ['PATCH', '/dbs/pp/colls/jobs/docs/job_1', {}, 'patch_item'],
    ['DELETE', '/dbs/pp/colls/jobs/docs/job_1', {}, 'delete_item'],
  ])('%s %s %j is %s of the jobs container', (method, path, headers, name) => {
    expect(cosmosOperationOf(request(method, path, headers))).toEqual({
      name,
      database: 'pp',
      collection: 'jobs',
    });
  });

  it('names metadata reads after their resource, ids decoded', () => {
    expect(cosmosOperationOf(request('GET', '/dbs/pp/colls/job%20s/pkranges'))).toEqual({
      name: 'read_pkranges',
      database: 'pp',
      collection: 'job s',
    });
    expect(cosmosOperationOf(request('GET', '/'))).toEqual({ name: 'read_account' });
  });
});

describe('createTracedHttpClient', () => {
  let telemetry: InMemoryTelemetry;
  beforeAll(() => {
    telemetry = installInMemoryTelemetry();
  });
  afterAll(() => telemetry.uninstall());
  const named = (name: string) => telemetry.spans().filter((span) => span.name === name);

  it('makes a client span per request under the active span, with the request charge', async () => {
    const client = createTracedHttpClient(answering(200, '2.5'));
    await inSpan('process persist', { kind: SpanKind.CONSUMER }, () =>
      client.sendRequest(request('PATCH', '/dbs/pp/colls/jobs/docs/job_1')),
    );
    const [span] = named('patch_item jobs');
    const [parent] = named('process persist');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(span?.attributes).toEqual({
      'db.system.name': 'azure.cosmosdb',
      'db.operation.name': 'patch_item',
      'db.namespace': 'pp',
      'db.collection.name': 'jobs',
      'server.address': 'acct.documents.azure.com',
      'db.response.status_code': '200',
      'azure.cosmosdb.operation.request_charge': 2.5,
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks throttling and server errors, not the conditional answers the stores expect', async () => {
    for (const [status, path] of [
      [429, '/dbs/pp/colls/a/docs/x'],
      [503, '/dbs/pp/colls/b/docs/x'],
      [412, '/dbs/pp/colls/c/docs/x'],
      [404, '/dbs/pp/colls/d/docs/x'],
    ] as const) {
      await inSpan('stage', { kind: SpanKind.CONSUMER }, () =>
        createTracedHttpClient(answering(status)).sendRequest(request('GET', path)),
      );
    }
    const statusOf = (collection: string) => named(`read_item ${collection}`)[0]?.status.code;
    expect([statusOf('a'), statusOf('b'), statusOf('c'), statusOf('d')]).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
      SpanStatusCode.UNSET,
    ]);
    expect(named('read_item a')[0]?.attributes['error.type']).toBe('429');
  });

  it('marks a request that failed to reach the service, and rethrows', async () => {
    const failing: HttpClient = { sendRequest: () => Promise.reject(new TypeError('socket hang up')) };
    await expect(
      inSpan('stage', { kind: SpanKind.CONSUMER }, () =>
        createTracedHttpClient(failing).sendRequest(request('GET', '/dbs/pp/colls/e/docs/x')),
      ),
    ).rejects.toThrow('socket hang up');
    expect(named('read_item e')[0]?.attributes['error.type']).toBe('TypeError');
  });

  it('makes no span under a trace the sampler dropped', async () => {
    const before = telemetry.spans().length;
    const unsampled = trace.setSpanContext(context.active(), {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.NONE,
    });
    const response = await context.with(unsampled, () =>
      createTracedHttpClient(answering(200)).sendRequest(request('GET', '/dbs/pp/colls/g/docs/x')),
    );
    expect(response.status).toBe(200);
    expect(telemetry.spans().length).toBe(before);
  });

  it('starts no trace for a request made outside any span', async () => {
    const before = telemetry.spans().length;
    await createTracedHttpClient(answering(200)).sendRequest(request('GET', '/dbs/pp/colls/f/docs/x'));
    expect(telemetry.spans().length).toBe(before);
  });
});
