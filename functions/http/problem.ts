/**
 * The one place HTTP errors are shaped: RFC 9457 problem+json. Platform errors map to their status with
 * a safe detail and the offending fields; anything else is a 500 that says nothing about internals.
 */
import type { HttpResponseInit } from '@azure/functions';
import { isPlatformError, type ErrorCode, type PlatformError } from '../../shared/errors/index.js';
import { WWW_AUTHENTICATE } from '../../shared/auth/authenticate.js';

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  permanent_failure: 422,
  retry_later: 503,
  configuration_error: 503,
  poison_message: 400,
};

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Your request is not valid',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Request too large',
  rate_limited: 'Too many requests',
  permanent_failure: 'The request cannot be processed',
  retry_later: 'Temporarily unavailable',
  configuration_error: 'Temporarily unavailable',
  poison_message: 'Your request is not valid',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemOptions {
  readonly instance?: string;
  readonly traceId?: string;
}

export function problemResponse(error: unknown, options: ProblemOptions = {}): HttpResponseInit {
  if (!isPlatformError(error)) {
    return problem(
      500,
      'internal_error',
      'Something went wrong on our side',
      'The request failed; it is safe to retry with the same Idempotency-Key.',
      options,
    );
  }
  const status = STATUS[error.code];
  const response = problem(status, error.code, TITLES[error.code], error.detail, options, extrasOf(error));
  const retryAfterMs =
    'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  if (retryAfterMs !== undefined && (status === 429 || status === 503)) {
    (response.headers as Record<string, string>)['retry-after'] = String(
      Math.max(1, Math.ceil(retryAfterMs / 1000)),
    );
  }
  if (status === 401) (response.headers as Record<string, string>)['www-authenticate'] = WWW_AUTHENTICATE;
  return response;
}

/** A problem response built directly (404 for unknown routes, 405, ...). */
export function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  options: ProblemOptions = {},
  extras: Record<string, unknown> = {},
): HttpResponseInit {
  return {
    status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      ...(options.traceId ? { 'x-trace-id': options.traceId } : {}),
    },
    body: JSON.stringify({
      type: `https://prompt-pipeline.dev/problems/${code.replaceAll('_', '-')}`,
      title,
      status,
      detail,
      code,
      ...(options.instance ? { instance: options.instance } : {}),
      ...(options.traceId ? { traceId: options.traceId } : {}),
      ...extras,
    }),
  };
}

function extrasOf(error: PlatformError): Record<string, unknown> {
  if ('issues' in error && Array.isArray(error.issues) && error.issues.length > 0) {
    // RFC 9457 §3.2 extension member: which fields were wrong and why.
    return { errors: error.issues };
  }
  return {};
}
