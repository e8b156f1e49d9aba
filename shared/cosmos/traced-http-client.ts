/**
 * Cosmos DB dependency spans. `@azure/cosmos` 4.x declares a tracing client but starts no span with it,
 * so unlike Service Bus its calls are invisible in a trace. The SDK takes an `httpClient` option: this one
 * wraps the default client and makes one client span per HTTP request (retries and metadata reads
 * included, as Application Insights shows dependencies), named and attributed after the OpenTelemetry
 * conventions for Cosmos DB, with the request charge the service reported.
 *
 * A request made outside any span (start-up, a background refresh) starts no trace of its own: it is a
 * dependency of nothing a person would look for. Nor does one under a trace the sampler dropped.
 */
import {
  createDefaultHttpClient,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { TraceFlags, context, isSpanContextValid, trace, type Attributes } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, markFailed, platformTracer } from '../telemetry/tracing.js';

export interface CosmosOperation {
  /** `db.operation.name`: read_item, query_items, create_item, execute_batch, … */
  readonly name: string;
  readonly database?: string;
  readonly collection?: string;
}

const header = (request: PipelineRequest, name: string): boolean =>
  request.headers.get(name)?.toLowerCase() === 'true';

/** What one request does, from its method, resource path and the SDK's marker headers. */
export function cosmosOperationOf(request: PipelineRequest): CosmosOperation {
  const segments = new URL(request.url).pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const database = segments[0] === 'dbs' ? segments[1] : undefined;
  const collection = segments[2] === 'colls' ? segments[3] : undefined;
  const resource = segments.length % 2 === 1 ? segments.at(-1) : segments.at(-2);
  const named = { ...(database ? { database } : {}), ...(collection ? { collection } : {}) };
  if (resource !== 'docs') {
    const target = resource ?? 'account';
    return {
      name: `${request.method === 'GET' ? 'read' : request.method.toLowerCase()}_${target}`,
      ...named,
    };
  }
  const single = segments.length % 2 === 0;
  switch (request.method) {
    case 'GET':
      return { name: single ? 'read_item' : 'read_all_items', ...named };
    case 'PUT':
      return { name: 'replace_item', ...named };
    case 'PATCH':
      return { name: 'patch_item', ...named };
    case 'DELETE':
      return { name: 'delete_item', ...named };
    case 'POST':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
      if (header(request, 'x-ms-documentdb-isquery')) return { name: 'query_items', ...named };
      if (header(request, 'x-ms-cosmos-is-batch-request')) return { name: 'execute_batch', ...named };
      if (header(request, 'x-ms-documentdb-is-upsert')) return { name: 'upsert_item', ...named };
      return { name: 'create_item', ...named };
  }
}

function responseAttributes(response: PipelineResponse): Attributes {
  const charge = Number(response.headers.get('x-ms-request-charge'));
  const subStatus = Number(response.headers.get('x-ms-substatus'));
  return {
    'db.response.status_code': String(response.status),
    ...(Number.isFinite(charge) ? { 'azure.cosmosdb.operation.request_charge': charge } : {}),
    ...(subStatus > 0 ? { 'azure.cosmosdb.response.sub_status_code': subStatus } : {}),
  };
}

// 404, 409 and 412 answer the conditional reads and writes the stores make on purpose; only throttling
// and the service's own failures are errors of the dependency.
const isFailure = (status: number): boolean => status === 429 || status >= 500;

export function createTracedHttpClient(inner: HttpClient = createDefaultHttpClient()): HttpClient {
  return {
    async sendRequest(request) {
      const parent = context.active();
      const active = trace.getSpanContext(parent);
      // A leaf span under a trace the sampler dropped would be dropped too: skip its cost (about ten
      // requests per job) and go straight to the service.
      if (!active || !isSpanContextValid(active) || (active.traceFlags & TraceFlags.SAMPLED) === 0)
        return inner.sendRequest(request);
      const operation = cosmosOperationOf(request);
      const url = new URL(request.url);
      const span = platformTracer().startSpan(
        operation.collection ? `${operation.name} ${operation.collection}` : operation.name,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'azure.cosmosdb',
            'db.operation.name': operation.name,
            ...(operation.database ? { 'db.namespace': operation.database } : {}),
            ...(operation.collection ? { 'db.collection.name': operation.collection } : {}),
            'server.address': url.hostname,
          },
        },
        parent,
      );
      try {
        const response = await inner.sendRequest(request);
        span.setAttributes(responseAttributes(response));
        if (isFailure(response.status)) {
          span.setAttribute('error.type', String(response.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return response;
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  };
}
