/**
 * Error bodies shaped like Azure OpenAI's, so the production client's error mapping is exercised against
 * what the service really sends (codes `429`, `content_filter` with `innererror`, `context_length_exceeded`).
 */

export interface ErrorResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export function rateLimited(
  apiVersion: string,
  retryAfterMs: number,
  limitedBy: 'tokens' | 'requests',
): ErrorResponse {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const what = limitedBy === 'tokens' ? 'token rate limit' : 'call rate limit';
  return {
    status: 429,
    body: {
      error: {
        code: '429',
        message:
          `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${apiVersion} have ` +
          `exceeded ${what} of your current AIServices S0 pricing tier. Please retry after ${seconds} seconds. ` +
          '(simulated)',
      },
    },
  };
}

const filteredCategories = {
  hate: { filtered: true, severity: 'high' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

export function contentFiltered(): ErrorResponse {
  return {
    status: 400,
    body: {
      error: {
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. " +
          'Please modify your prompt and retry. (simulated)',
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: filteredCategories },
      },
    },
  };
}

export function contextLengthExceeded(limit: number, requested: number, promptTokens: number): ErrorResponse {
  return {
    status: 400,
    body: {
      error: {
        message:
          `This model's maximum context length is ${limit} tokens. However, you requested ${requested} tokens ` +
          `(${promptTokens} in the messages, ${requested - promptTokens} in the completion). ` +
          'Please reduce the length of the messages or completion.',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  };
}

export function badRequest(message: string, param: string | null = null): ErrorResponse {
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param, code: null } } };
}

export function unauthorized(): ErrorResponse {
  return {
    status: 401,
    body: {
      error: {
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key ' +
          'for an active subscription and use a correct regional API endpoint for your resource.',
      },
    },
  };
}

export function deploymentNotFound(): ErrorResponse {
  return {
    status: 404,
    body: {
      error: {
        code: 'DeploymentNotFound',
        message: 'The API deployment for this resource does not exist. (simulated)',
      },
    },
  };
}

export function serverError(status: 500 | 503): ErrorResponse {
  return {
    status,
    body: {
      error: {
        code: status === 500 ? 'InternalServerError' : 'ServiceUnavailable',
        message:
          status === 500
            ? 'The server had an error while processing your request. (simulated)'
            : 'The service is temporarily unable to process your request. (simulated)',
      },
    },
    ...(status === 503 ? { headers: { 'retry-after': '1' } } : {}),
  };
}

/** What a reasoning model answers to `max_tokens` (and the service to a parameter a model does not take). */
export function unsupportedParameter(
  param: string,
  message: string,
  code: 'unsupported_parameter' | 'unsupported_value' = 'unsupported_parameter',
): ErrorResponse {
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param, code } } };
}

/** What a model that does not reason answers to `reasoning_effort`. */
export function unrecognizedArgument(param: string): ErrorResponse {
  return badRequest(`Unrecognized request argument supplied: ${param}`, param);
}
