/**
 * One concrete deployment reached through the official `openai` SDK: `AzureOpenAI` for Azure (Entra ID or
 * API key) or `OpenAI` with a `baseURL` for OpenAI-compatible servers (Ollama, vLLM, llama.cpp). SDK
 * retries are off: the SDK would otherwise retry twice and may sleep up to 60 s inside a message lock;
 * our retries are scheduled messages instead.
 */
import { randomUUID } from 'node:crypto';
import { AzureOpenAI, OpenAI } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import { PermanentError } from '../errors/index.js';
import { isEmbeddingsRequest, type EmbeddingsRequest } from '../jobs/embeddings.js';
import type { JobRequest } from '../jobs/job-request.js';
import type { ChatRequest } from '../jobs/schema.js';
import { activeTraceparent } from '../telemetry/tracing.js';
import { createNodeHttpFetch } from './node-http-fetch.js';
import type { ModelCompletion } from './port.js';
import { parseRateLimit, type RateLimitSnapshot } from './rate-limit-headers.js';
import { isReasoningDeployment, type DeploymentSettings } from './settings.js';

export interface EndpointAuth {
  readonly apiKey?: string;
  readonly tokenProvider?: () => Promise<string>;
}

export interface EndpointOptions {
  readonly apiVersion: string;
  readonly timeoutMs: number;
}

export interface EndpointResult {
  readonly completion: ModelCompletion;
  readonly rateLimit: RateLimitSnapshot;
}

export interface ChatEndpoint {
  readonly name: string;
  /** `onSend` runs when the HTTP request actually leaves (after any token acquisition in the SDK). */
  call(
    request: ChatRequest,
    maxTokens: number,
    signal?: AbortSignal,
    onSend?: () => void,
  ): Promise<EndpointResult>;
  /** The embeddings operation on the same deployment; fakes that never see embeddings jobs need none. */
  embed?(request: EmbeddingsRequest, signal?: AbortSignal, onSend?: () => void): Promise<EndpointResult>;
  /** Closes the endpoint's kept-alive connections; a later call opens new ones. Fakes need none. */
  close?(): void;
}

/** Azure OpenAI echoes and logs this header; we also use it to recognise our call inside `fetch`. */
const CLIENT_REQUEST_ID = 'x-ms-client-request-id';

export function createChatEndpoint(
  settings: DeploymentSettings,
  auth: EndpointAuth,
  options: EndpointOptions,
): ChatEndpoint {
  const deployment = settings.deployment ?? settings.name;
  const reasoning = isReasoningDeployment(settings);
  const sendHooks = new Map<string, () => void>();
  // node:http with a keep-alive agent instead of the global fetch: undici cost ~1 ms of main-thread CPU
  // per call. One transport (and so one connection pool) per deployment.
  const transport = createNodeHttpFetch();
  const fetchWithSendHook = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // The SDK always passes a Headers; copying it just to read one header would be waste.
    const headers = init?.headers;
    const id =
      headers instanceof Headers
        ? headers.get(CLIENT_REQUEST_ID)
        : new Headers(headers).get(CLIENT_REQUEST_ID);
    if (id !== null) sendHooks.get(id)?.();
    return transport.fetch(input, init);
  };
  const common = { maxRetries: 0, timeout: options.timeoutMs, fetch: fetchWithSendHook };
  const client =
    settings.kind === 'azure'
      ? new AzureOpenAI({
          endpoint: settings.endpoint,
          deployment,
          apiVersion: options.apiVersion,
          ...(auth.tokenProvider ? { azureADTokenProvider: auth.tokenProvider } : { apiKey: auth.apiKey }),
          ...common,
        })
      : new OpenAI({
          baseURL: settings.endpoint,
          // OpenAI-compatible local servers usually ignore the key, but the SDK insists on one.
          apiKey: auth.apiKey ?? 'not-needed',
          ...common,
        });

  return {
    name: settings.name,
    async call(request, maxTokens, signal, onSend) {
      const params = toChatParams(request, deployment, maxTokens, reasoning);
      const requestId = randomUUID();
      if (onSend) sendHooks.set(requestId, onSend);
      try {
        const { data, response } = await client.chat.completions
          .create(params, {
            ...(signal ? { signal } : {}),
            timeout: options.timeoutMs,
            maxRetries: 0,
            // W3C Trace Context, so the service's own logs (and a test's simulator) can join our trace.
            headers: { [CLIENT_REQUEST_ID]: requestId, ...traceHeaders() },
          })
          .withResponse();
        return {
          completion: fromChatCompletion(data, settings.name),
          rateLimit: parseRateLimit(response.headers),
        };
      } finally {
        sendHooks.delete(requestId);
      }
    },
    async embed(request, signal, onSend) {
      const requestId = randomUUID();
      if (onSend) sendHooks.set(requestId, onSend);
      try {
        // The SDK asks for base64 (a third of the bytes of JSON floats) and decodes it to numbers.
        const { data, response } = await client.embeddings
          .create(
            {
              model: deployment,
              input: request.input,
              ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
              ...(request.user !== undefined ? { user: request.user } : {}),
            },
            {
              ...(signal ? { signal } : {}),
              timeout: options.timeoutMs,
              maxRetries: 0,
              headers: { [CLIENT_REQUEST_ID]: requestId, ...traceHeaders() },
            },
          )
          .withResponse();
        return {
          completion: fromEmbeddings(data, settings.name, requestId),
          rateLimit: parseRateLimit(response.headers),
        };
      } finally {
        sendHooks.delete(requestId);
      }
    },
    close: () => transport.close(),
  };
}

/** Sends a job's request by its kind: a chat completion, or embeddings. */
export function callEndpoint(
  endpoint: ChatEndpoint,
  request: JobRequest,
  maxTokens: number,
  signal?: AbortSignal,
  onSend?: () => void,
): Promise<EndpointResult> {
  if (!isEmbeddingsRequest(request)) return endpoint.call(request, maxTokens, signal, onSend);
  if (!endpoint.embed) {
    throw new PermanentError(`Deployment ${endpoint.name} does not serve embeddings`, 'unsupported_request');
  }
  return endpoint.embed(request, signal, onSend);
}

/** Embeddings as a completion: the vectors in input order, usage in prompt tokens only. */
export function fromEmbeddings(
  data: CreateEmbeddingResponse,
  deployment: string,
  requestId: string,
): ModelCompletion {
  const ordered = [...data.data].sort((a, b) => a.index - b.index);
  return {
    content: null,
    refusal: null,
    embeddings: ordered.map((item) => item.embedding),
    finishReason: 'stop',
    usage: { promptTokens: data.usage.prompt_tokens, completionTokens: 0, cachedTokens: 0 },
    deployment,
    model: data.model,
    // The embeddings response has no id: ours names it (it keys an extra charge, if any).
    responseId: `embd-${requestId}`,
  };
}

/**
 * The request as the deployment takes it: every field the job set, under OpenAI's names, with the
 * completion limit always sent (the quota cost, prompt + limit, must be known before the call to pace
 * it) in the parameter the model expects: reasoning models refuse `max_tokens`.
 */
export function toChatParams(
  request: ChatRequest,
  model: string,
  maxTokens: number,
  reasoning = false,
): ChatCompletionCreateParamsNonStreaming {
  // The alias and both limits are replaced; every other field is OpenAI's and goes as it is.
  const {
    model: _alias,
    max_tokens: _maxTokens,
    max_completion_tokens: _maxCompletionTokens,
    ...rest
  } = request;
  return {
    ...rest,
    model,
    ...(reasoning ? { max_completion_tokens: maxTokens } : { max_tokens: maxTokens }),
  };
}

export function fromChatCompletion(data: ChatCompletion, deployment: string): ModelCompletion {
  const choice = data.choices[0];
  const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [
          {
            id: call.id,
            type: 'function' as const,
            function: { name: call.function.name, arguments: call.function.arguments },
          },
        ]
      : [],
  );
  const reasoningTokens = data.usage?.completion_tokens_details?.reasoning_tokens;
  return {
    content: choice?.message.content ?? null,
    refusal: choice?.message.refusal ?? null,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    finishReason: choice?.finish_reason ?? 'unknown',
    usage: {
      promptTokens: data.usage?.prompt_tokens ?? 0,
      completionTokens: data.usage?.completion_tokens ?? 0,
      cachedTokens: data.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      ...(reasoningTokens ? { reasoningTokens } : {}),
    },
    deployment,
    model: data.model,
    responseId: data.id,
  };
}

function traceHeaders(): Record<string, string> {
  const traceparent = activeTraceparent();
  return traceparent ? { traceparent } : {};
}
