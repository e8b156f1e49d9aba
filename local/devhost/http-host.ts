/**
 * The HTTP side of the dev host: route, read the body under a cap, call the handler with a real
 * `HttpRequest` and `InvocationContext`, write its response. Whatever a handler does, the client gets
 * an HTTP answer without internals: thrown errors become a bare 500 problem, logged with the invocation id.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpFunctionDefinition } from '../../functions/definitions.js';
import { BodyTooLargeError, readBody, toHttpRequest, toStreamingHttpRequest } from './http-request.js';
import { toHttpResponse, writeHttpResponse, writeProblem } from './http-response.js';
import { createInvocationContext, invocationTraceParent } from './invocation.js';
import type { DevHostLogger } from './logger.js';
import { describeError } from './logger.js';
import { createRouter } from './router.js';

export interface HttpHostOptions {
  readonly definitions: readonly HttpFunctionDefinition[];
  readonly routePrefix: string;
  /** Host-level guard against unbounded reads; handlers enforce the product's own, smaller limit. */
  readonly maxBodyBytes: number;
  readonly logger: DevHostLogger;
  /** Local tools served beside the functions on the same origin (the dashboard), by path prefix. */
  readonly mounts?: readonly HttpMount[];
}

/**
 * A handler for every path at or under `prefix` (e.g. `/dashboard`), answered before the function
 * routes. Not a function: no invocation, no route prefix, no request log line (a page polling once a
 * second would drown the functions' lines).
 */
export interface HttpMount {
  readonly prefix: string;
  readonly listener: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
}

export type HttpListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createHttpListener(options: HttpHostOptions): HttpListener {
  const router = createRouter(options.definitions, options.routePrefix);
  const { logger } = options;

  return async (req, res) => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    // The Host header only shapes request.url; a malformed one must not break routing.
    const base = /^[A-Za-z0-9.[\]:-]+$/.test(req.headers.host ?? '')
      ? `http://${req.headers.host}`
      : 'http://localhost';
    const url = parseTarget(req.url, base);
    const pathname = url?.pathname ?? '(invalid target)';
    const done = (status: number, fields: Record<string, string> = {}) =>
      logger.info('http.request', {
        method,
        path: pathname,
        status,
        durationMs: Math.round(performance.now() - started),
        ...fields,
      });

    if (!url) {
      // RFC 9112 §3.2: a request target that is not a valid URI is the client's error. Close the connection:
      // a client that sent this may not frame what follows any better.
      writeProblem(
        res,
        { status: 400, title: 'Bad Request', detail: 'The request target is not a valid URL.' },
        { connection: 'close' },
      );
      return done(400);
    }
    const mount = options.mounts?.find(
      ({ prefix }) => pathname === prefix || pathname.startsWith(`${prefix}/`),
    );
    if (mount) return mount.listener(req, res, url);
    const match = router.match(method, pathname);

    if (match.kind === 'notFound') {
      writeProblem(res, { status: 404, title: 'Not Found', detail: `No function serves ${pathname}.` });
      return done(404);
    }
    if (match.kind === 'methodNotAllowed') {
      writeProblem(
        res,
        { status: 405, title: 'Method Not Allowed', detail: `Allowed: ${match.allow.join(', ')}.` },
        {
          allow: match.allow.join(', '),
        },
      );
      return done(405);
    }

    const { definition, params } = match;
    let body: Buffer | undefined;
    try {
      // A streaming route reads the body itself, under its own limit; the rest are read here, capped.
      if (definition.requestBody !== 'stream') body = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      // Close the connection: the rest of the oversized body is never read.
      writeProblem(
        res,
        { status: 413, title: 'Content Too Large', detail: error.message },
        { connection: 'close' },
      );
      return done(413);
    }

    const context = createInvocationContext({
      functionName: definition.name,
      traceParent: invocationTraceParent(req.headers.traceparent),
      traceState: typeof req.headers.tracestate === 'string' ? req.headers.tracestate : undefined,
      logger,
    });
    const fields = { functionName: definition.name, invocationId: context.invocationId };
    try {
      const request = body ? toHttpRequest(req, body, params, url) : toStreamingHttpRequest(req, params, url);
      const result = await definition.handler(request, context);
      const response = toHttpResponse(result);
      await writeHttpResponse(res, response);
      done(response.status, fields);
    } catch (error) {
      logger.error('http.handler_failed', { ...fields, ...describeError(error) });
      if (res.headersSent) {
        res.destroy();
      } else {
        writeProblem(res, {
          status: 500,
          title: 'Internal Server Error',
          detail: `Invocation ${context.invocationId} failed.`,
        });
      }
      done(500, fields);
    }
  };
}

/**
 * The request target (origin-form `/api/x?y`, or absolute-form `http://host/api/x`) as a URL, or undefined
 * when it is not one: `http://[`, `//` and the like make `new URL` throw, and that must not become a 500.
 */
function parseTarget(target: string | undefined, base: string): URL | undefined {
  try {
    return new URL(target ?? '/', base);
  } catch {
    return undefined;
  }
}
