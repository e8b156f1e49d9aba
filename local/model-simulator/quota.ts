/**
 * The quota decision for one request and the headers that report it, as Azure OpenAI does: a request
 * is charged prompt + max_tokens on arrival; one over the context window is a 400, one over quota a 429
 * with `retry-after` (whole seconds) and `retry-after-ms` (the precise figure); admitted or not, the
 * `x-ratelimit-remaining-*` headers go out in the mode the fault settings choose (present, missing or
 * -1), because the service does all three and clients must cope.
 */
import { contextLengthExceeded, rateLimited, type ErrorResponse } from './azure-errors.js';
import type { DeploymentState } from './deployments.js';
import type { FaultSettings } from './faults.js';

export type RateLimitHeaderMode = NonNullable<FaultSettings['rateLimitHeaders']>;

export type QuotaDecision =
  | { readonly admitted: true; readonly rateHeaders: Record<string, string> }
  | { readonly admitted: false; readonly response: ErrorResponse; readonly headers: Record<string, string> };

export interface QuotaRequest {
  readonly promptTokens: number;
  readonly maxTokens: number;
  /** Quoted in the 429 message, as the service does; `v1` on the OpenAI path. */
  readonly apiVersion: string;
}

/** The 400 the service sends when prompt + max_tokens does not fit the model's context window. */
export function contextTooLong(deployment: DeploymentState, request: QuotaRequest): ErrorResponse {
  const { promptTokens, maxTokens } = request;
  return contextLengthExceeded(deployment.contextWindow, promptTokens + maxTokens, promptTokens);
}

/** Charges the request against the deployment's windows (updating its counters) or refuses it. */
export function admit(
  deployment: DeploymentState,
  request: QuotaRequest,
  headerMode: RateLimitHeaderMode,
  now: number,
): QuotaDecision {
  const { promptTokens, maxTokens } = request;
  if (promptTokens + maxTokens > deployment.contextWindow) {
    return { admitted: false, response: contextTooLong(deployment, request), headers: {} };
  }
  const decision = deployment.limiter.tryAcquire(now, promptTokens + maxTokens);
  const rateHeaders = rateLimitHeaders(headerMode, decision.remainingTokens, decision.remainingRequests);
  if (!decision.admitted) {
    deployment.stats.throttled += 1;
    return {
      admitted: false,
      response: rateLimited(request.apiVersion, decision.retryAfterMs, decision.limitedBy ?? 'tokens'),
      headers: {
        ...rateHeaders,
        'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
        'retry-after-ms': String(decision.retryAfterMs),
      },
    };
  }
  deployment.stats.admitted += 1;
  deployment.stats.chargedTokens += promptTokens + maxTokens;
  return { admitted: true, rateHeaders };
}

function rateLimitHeaders(
  mode: RateLimitHeaderMode,
  tokens: number,
  requests: number,
): Record<string, string> {
  switch (mode) {
    case 'missing':
      return {};
    case 'minus-one':
      return { 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-remaining-requests': '-1' };
    case 'present':
      return {
        'x-ratelimit-remaining-tokens': String(tokens),
        'x-ratelimit-remaining-requests': String(requests),
      };
  }
}
