/**
 * OpenAI-compatible routes answer errors the way OpenAI clients read them: our RFC 9457 problem+json
 * with an `error` member in OpenAI's shape (`message`, `type`, `param`, `code`) beside it. RFC 9457 §3.2
 * allows extension members; without this one the `openai` SDK reports "400 status code (no body)".
 */
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

interface Problem {
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly errors?: ReadonlyArray<{ readonly field?: string }>;
}

export function withOpenAiErrors(handler: HttpHandler): HttpHandler {
  return async (request, context) => {
    const response = (await handler(request, context)) as HttpResponseInit;
    const headers = response.headers as Record<string, string> | undefined;
    if ((response.status ?? 200) < 400 || headers?.['content-type'] !== PROBLEM_CONTENT_TYPE) return response;
    if (typeof response.body !== 'string') return response;
    const problem = JSON.parse(response.body) as Problem;
    const status = problem.status ?? response.status ?? 500;
    const error = {
      message: problem.detail ?? 'The request failed.',
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      param: problem.errors?.[0]?.field ?? null,
      code: problem.code ?? null,
    };
    return { ...response, body: JSON.stringify({ ...problem, error }) };
  };
}
