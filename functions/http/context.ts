/**
 * Request plumbing shared by every HTTP handler: header limits, trace context, authentication, reading
 * a bounded JSON body, and turning any thrown error into problem+json. Handlers stay a few lines long.
 */
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { Principal } from '../../shared/auth/principal.js';
import { requireRole } from '../../shared/auth/principal.js';
import { ValidationError } from '../../shared/errors/index.js';
import { decodeUtf8, readBodyWithLimit } from './body.js';
import { checkHeaderLimits } from './headers.js';
import { parseJsonSafely } from './safe-json.js';
import { errorFields } from '../../shared/telemetry/logger.js';
import type { TraceContext } from '../../shared/telemetry/trace-context.js';
import {
  SpanKind,
  SpanStatusCode,
  inSpan,
  parentContext,
  traceContextOf,
} from '../../shared/telemetry/tracing.js';
import type { AppServices } from '../app-services.js';
import { getServices } from '../services.js';
import { problemResponse } from './problem.js';

export interface RequestScope {
  readonly request: HttpRequest;
  readonly services: AppServices;
  readonly trace: TraceContext;
  readonly context: InvocationContext;
}

export interface AuthenticatedScope extends RequestScope {
  readonly principal: Principal;
}

type Handler<S> = (scope: S) => Promise<HttpResponseInit>;

/** A public route: no authentication (health, OpenAPI). */
export function publicRoute(handler: Handler<RequestScope>): HttpHandler {
  return (request, context) => run(request, context, handler);
}

/** A tenant route: the caller must authenticate and hold the `jobs` role; work is scoped to its tenant. */
export function tenantRoute(handler: Handler<AuthenticatedScope>): HttpHandler {
  return (request, context) =>
    run(request, context, async (scope) => {
      const principal = await scope.services.authenticator.authenticate(request.headers);
      requireRole(principal, 'jobs');
      return handler({ ...scope, principal });
    });
}

/** An admin route: the caller must hold the platform admin role. */
export function adminRoute(handler: Handler<AuthenticatedScope>): HttpHandler {
  return (request, context) =>
    run(request, context, async (scope) => {
      const principal = await scope.services.authenticator.authenticate(request.headers);
      requireRole(principal, 'admin');
      return handler({ ...scope, principal });
    });
}

/** One server span per request, parented on the caller's `traceparent`; the job's trace id is its trace. */
function run(
  request: HttpRequest,
  context: InvocationContext,
  handler: Handler<RequestScope>,
): Promise<HttpResponseInit> {
  const traceparent = request.headers.get('traceparent') ?? undefined;
  const url = new URL(request.url);
  return inSpan(
    `${request.method} ${context.functionName}`,
    {
      kind: SpanKind.SERVER,
      parent: parentContext(traceparent),
      attributes: {
        'http.request.method': request.method,
        'url.path': url.pathname,
        'url.scheme': url.protocol.replace(':', ''),
      },
    },
    async (span) => {
      const response = await respond(request, context, handler, traceContextOf(span, traceparent));
      const status = response.status ?? 200;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
    },
  );
}

async function respond(
  request: HttpRequest,
  context: InvocationContext,
  handler: Handler<RequestScope>,
  trace: TraceContext,
): Promise<HttpResponseInit> {
  let services: AppServices | undefined;
  try {
    services = await getServices();
    checkHeaderLimits(request.headers.entries(), {
      maxCount: services.config.HTTP_MAX_HEADER_COUNT,
      maxBytes: services.config.HTTP_MAX_HEADER_BYTES,
    });
    const response = await handler({ request, services, trace, context });
    return withTraceHeader(response, trace.traceId);
  } catch (error) {
    const response = problemResponse(error, {
      traceId: trace.traceId,
      instance: new URL(request.url).pathname,
    });
    const status = response.status ?? 500;
    const logger = services?.logger;
    if (status >= 500)
      logger?.error('http.failed', {
        route: routeOf(request),
        traceId: trace.traceId,
        ...errorFields(error),
      });
    else logger?.info('http.refused', { route: routeOf(request), status, traceId: trace.traceId });
    return response;
  }
}

function withTraceHeader(response: HttpResponseInit, traceId: string): HttpResponseInit {
  return {
    ...response,
    headers: { ...(response.headers as Record<string, string> | undefined), 'x-trace-id': traceId },
  };
}

function routeOf(request: HttpRequest): string {
  return `${request.method} ${new URL(request.url).pathname}`;
}

/**
 * A route parameter checked against its id format before any store sees it. The runtime hands params over
 * percent-decoded, so `%2F` arrives as `/`: without this check such ids reach Cosmos DB, which refuses
 * `/`, `\`, `#` and `?` in ids, and the caller's typo becomes our 500.
 */
export function pathParam<T>(scope: RequestScope, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(scope.request.params[name] ?? '');
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'invalid';
  throw new ValidationError(`The path parameter ${name} is invalid: ${message}.`, [
    { field: `(path) ${name}`, message },
  ]);
}

/** Reads and parses a JSON body, refusing oversize bodies (413) before reading them. */
export async function readJsonBody(
  scope: RequestScope,
  limitBytes = scope.services.config.HTTP_MAX_BODY_BYTES,
): Promise<{ value: unknown; bytes: number }> {
  const contentType = scope.request.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new ValidationError('Send the body as JSON with Content-Type: application/json.', [
      { field: '(header) content-type', message: 'must be application/json' },
    ]);
  }
  const bytes = await readBodyWithLimit(
    scope.request.body as AsyncIterable<Uint8Array> | null,
    scope.request.headers.get('content-length'),
    limitBytes,
  );
  if (bytes.length === 0)
    throw new ValidationError('The request body is empty.', [{ field: '(body)', message: 'required' }]);
  return { value: parseJsonSafely(decodeUtf8(bytes)), bytes: bytes.length };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
