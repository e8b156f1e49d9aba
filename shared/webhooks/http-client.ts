/**
 * The one way webhooks leave the platform: node:http(s) with the SSRF guard, the connection pinned to the
 * checked address through a custom `lookup`, no redirects followed (node:http never follows them), a hard
 * timeout, and at most `maxResponseBytes` of the response read before the socket is dropped.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DNS_FAILED, fromNetworkError, timeoutError, type DeliveryErrorCode } from './failures.js';
import { recordWebhookAttempt } from '../telemetry/metrics.js';
import { SpanKind, SpanStatusCode, activeTraceparent, inSpan } from '../telemetry/tracing.js';
import { checkTarget, ResolutionError, SsrfRefusedError, type Resolver, type SsrfPolicy } from './ssrf.js';

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type WebhookResponse =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly retryAfter?: string;
      readonly location?: string;
      /** At most `maxResponseBytes` of the body, for the attempt record. */
      readonly bodySnippet: string;
      readonly latencyMs: number;
    }
  | {
      readonly kind: 'failure';
      /** `refused`: the SSRF guard blocked it; nothing was sent. */
      readonly failure: 'refused' | 'timeout' | 'dns' | 'network';
      /** Stable code and plain sentence for the tenant (failures.ts): no library strings, no addresses. */
      readonly code: DeliveryErrorCode;
      readonly message: string;
      /** The raw error with the resolved address, for operator logs only. */
      readonly detail: string;
      readonly latencyMs: number;
    };

/** Port used by the deliver use case; `createWebhookHttpClient` is the real one. */
export interface WebhookHttpClient {
  send(request: WebhookRequest): Promise<WebhookResponse>;
}

export interface WebhookHttpClientOptions {
  readonly policy: SsrfPolicy;
  /** Standard Webhooks recommends 15-30 s; tests use a few hundred ms. */
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly resolve?: Resolver;
  readonly userAgent?: string;
}

/** A `lookup` that ignores the name and answers with the already-checked address: no second DNS query. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

export function createWebhookHttpClient(options: WebhookHttpClientOptions): WebhookHttpClient {
  return {
    // One client span per attempt; the consumer gets its traceparent and can join the job's trace.
    send: (request) =>
      inSpan('POST', { kind: SpanKind.CLIENT, attributes: requestAttributes(request.url) }, async (span) => {
        const response = await attempt(options, { ...request, headers: withTraceparent(request.headers) });
        const outcome = outcomeOf(response);
        recordWebhookAttempt(outcome);
        span.setAttribute('pipeline.outcome', outcome);
        if (response.kind === 'response') span.setAttribute('http.response.status_code', response.status);
        else span.setAttribute('error.type', response.failure);
        if (outcome !== '2xx') span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      }),
  };
}

async function attempt(options: WebhookHttpClientOptions, request: WebhookRequest): Promise<WebhookResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target;
  try {
    target = await checkTarget(request.url, options.policy, options.resolve);
  } catch (error) {
    if (error instanceof SsrfRefusedError) {
      return {
        kind: 'failure',
        failure: 'refused',
        code: error.code,
        message: error.publicMessage,
        detail: error.detail,
        latencyMs: elapsed(),
      };
    }
    if (error instanceof ResolutionError) {
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return {
        kind: 'failure',
        failure: 'dns',
        ...DNS_FAILED,
        detail: `${error.message}${cause}`,
        latencyMs: elapsed(),
      };
    }
    throw error;
  }
  return new Promise<WebhookResponse>((resolve) => {
    let settled = false;
    const finish = (result: WebhookResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const body = Buffer.from(request.body, 'utf8');
    const pinned = target.pinned.address;
    const transport = target.url.protocol === 'https:' ? https : http;
    const req = transport.request(target.url, {
      method: 'POST',
      // A fresh connection per attempt: a pooled socket must never outlive the check that allowed it.
      agent: false,
      lookup: pinnedLookup(target.pinned.address, target.pinned.family),
      // SNI and certificate checks use the name the tenant registered, not the pinned IP.
      servername: target.hostname,
      headers: {
        ...request.headers,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': options.userAgent ?? 'prompt-pipeline-webhooks/1',
      },
    });
    // Covers connect, send and the whole response, unlike the socket idle timeout.
    const timer = setTimeout(() => {
      finish({
        kind: 'failure',
        failure: 'timeout',
        ...timeoutError(options.timeoutMs),
        detail: `No complete response within ${options.timeoutMs} ms from ${pinned}`,
        latencyMs: elapsed(),
      });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({
        kind: 'failure',
        failure: 'network',
        ...fromNetworkError(error),
        detail: `${error.code ? `${error.code}: ` : ''}${error.message} (connecting to ${pinned})`,
        latencyMs: elapsed(),
      });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const retryAfter = res.headers['retry-after'];
        const location = res.headers.location;
        finish({
          kind: 'response',
          status: res.statusCode ?? 0,
          ...(retryAfter ? { retryAfter } : {}),
          ...(location ? { location } : {}),
          bodySnippet: Buffer.concat(chunks).subarray(0, options.maxResponseBytes).toString('utf8'),
          latencyMs: elapsed(),
        });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= options.maxResponseBytes) {
          // Enough to record; a consumer streaming megabytes back must not hold our worker.
          done();
          res.destroy();
        }
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.end(body);
  });
}

/** Host and scheme only: a tenant's URL may carry a token in its path or query. */
function requestAttributes(url: string): Record<string, string> {
  try {
    const parsed = new URL(url);
    return {
      'http.request.method': 'POST',
      'server.address': parsed.hostname,
      'url.scheme': parsed.protocol.replace(':', ''),
    };
  } catch {
    return { 'http.request.method': 'POST' };
  }
}

function withTraceparent(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const traceparent = activeTraceparent();
  return traceparent ? { ...headers, traceparent } : headers;
}

function outcomeOf(response: WebhookResponse): string {
  return response.kind === 'response' ? `${Math.floor(response.status / 100)}xx` : response.failure;
}
