/**
 * Reading a chat completions request: which route it came on (the Azure deployment path or the OpenAI
 * `/v1` path), the body's few fields the simulator acts on, and the prompt as text. Validation refuses
 * what the service refuses with 400 (no messages, a non-positive max_tokens), so clients see the same
 * errors locally as in Azure.
 */
import type { CountableMessage, CountablePart } from '../../shared/model/tokens.js';
import { unrecognizedArgument, unsupportedParameter, type ErrorResponse } from './azure-errors.js';

export interface ChatBody {
  readonly model?: string;
  readonly messages: Array<{
    role: string;
    content: unknown;
    name?: string;
    tool_calls?: unknown;
    tool_call_id?: unknown;
  }>;
  readonly max_tokens?: number;
  /** Which of the two limits the client sent: reasoning deployments refuse `max_tokens`. */
  readonly limitParameter?: 'max_tokens' | 'max_completion_tokens';
  readonly reasoning_effort?: string;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly tools?: unknown[];
  readonly tool_choice?: string | { type?: string; function?: { name?: string } };
  readonly seed?: number;
  readonly stream?: boolean;
  readonly stream_options?: { include_usage?: boolean };
  readonly response_format?: { type: string; json_schema?: { schema?: unknown } };
}

/**
 * Where a request was sent. `azure` carries the deployment name as it appears in the path, still
 * percent-encoded: it is decoded only once the request has passed the api-version, credential and body
 * checks, so a malformed name cannot pre-empt the errors those checks give.
 */
export type ChatRoute =
  | { readonly kind: 'health' }
  | { readonly kind: 'azure'; readonly encodedDeployment: string; readonly operation: Operation }
  | { readonly kind: 'openai'; readonly operation: Operation }
  | { readonly kind: 'unknown' };

/** The two inference operations served: chat completions and embeddings. */
export type Operation = 'chat' | 'embeddings';

export function routeOf(pathname: string): ChatRoute {
  if (pathname === '/health') return { kind: 'health' };
  const azure = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(pathname);
  if (azure) return { kind: 'azure', encodedDeployment: azure[1]!, operation: operationOf(azure[2]!) };
  const openai = /^(?:\/openai)?\/v1\/(chat\/completions|embeddings)$/.exec(pathname);
  if (openai) return { kind: 'openai', operation: operationOf(openai[1]!) };
  return { kind: 'unknown' };
}

function operationOf(path: string): Operation {
  return path === 'embeddings' ? 'embeddings' : 'chat';
}

/** Parses and checks the body; throws an Error whose message is the 400 the service would send. */
export function parseChatBody(raw: string): ChatBody {
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('The request body must be a JSON object');
  const body = parsed as Record<string, unknown>;
  if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
    throw new Error("'messages' must be a non-empty array");
  }
  if (body['tools'] !== undefined && !Array.isArray(body['tools']))
    throw new Error("'tools' must be an array");
  // Newer clients send max_completion_tokens instead; either one is the completion budget quota charges.
  const limitParameter =
    body['max_tokens'] !== undefined
      ? 'max_tokens'
      : body['max_completion_tokens'] !== undefined
        ? 'max_completion_tokens'
        : undefined;
  const maxTokens = body['max_tokens'] ?? body['max_completion_tokens'];
  if (
    maxTokens !== undefined &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
  ) {
    throw new Error("'max_tokens' must be a positive integer");
  }
  return {
    ...(body as unknown as ChatBody),
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    ...(limitParameter ? { limitParameter } : {}),
  };
}

/** A message's content as text: a string, or the text parts of a content array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '',
      )
      .join('');
  }
  return '';
}

/** The whole prompt as one string: the key for fault markers, the prompt cache and deterministic output. */
export function promptTextOf(body: ChatBody): string {
  return body.messages.map((m) => `${m.role}:${contentText(m.content)}`).join('\n');
}

/**
 * The request as the service meters it: each message's text, image and tool-call parts (what does not
 * have the documented shape is left out) and the tool definitions, priced by the same count as the
 * platform's pacer (shared/model/tokens.ts), so the two agree.
 */
export function countableOf(body: ChatBody): CountableMessage[] {
  const messages = body.messages.map((m): CountableMessage => ({
    role: m.role,
    content: countableContent(m.content),
    ...(typeof m.name === 'string' ? { name: m.name } : {}),
    ...(Array.isArray(m.tool_calls) ? { tool_calls: m.tool_calls.filter(isToolCall) } : {}),
    ...(typeof m.tool_call_id === 'string' ? { tool_call_id: m.tool_call_id } : {}),
  }));
  const tools = body.tools ?? [];
  return tools.length > 0 ? [{ role: 'system', content: JSON.stringify(tools) }, ...messages] : messages;
}

function countableContent(content: unknown): string | CountablePart[] {
  if (!Array.isArray(content)) return contentText(content);
  return content.flatMap((part: unknown): CountablePart[] => {
    if (typeof part !== 'object' || part === null) return [];
    const { type, text, image_url: image } = part as { type?: unknown; text?: unknown; image_url?: unknown };
    if (type === 'text' && typeof text === 'string') return [{ type: 'text', text }];
    const url = typeof image === 'object' && image !== null ? (image as { url?: unknown }).url : undefined;
    if (type !== 'image_url' || typeof url !== 'string') return [];
    const detail = (image as { detail?: unknown }).detail;
    return [
      { type: 'image_url', image_url: { url, ...(detail === 'low' || detail === 'high' ? { detail } : {}) } },
    ];
  });
}

function isToolCall(call: unknown): call is NonNullable<CountableMessage['tool_calls']>[number] {
  if (typeof call !== 'object' || call === null) return false;
  const { id, function: fn } = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
  return typeof id === 'string' && typeof fn?.name === 'string' && typeof fn.arguments === 'string';
}

/**
 * What the deployment's model refuses that another model takes, with the service's 400: `max_tokens` or a
 * `temperature` / `top_p` other than 1 on a reasoning model, `reasoning_effort` on one that does not reason.
 */
export function parameterProblem(body: ChatBody, reasoning: boolean): ErrorResponse | undefined {
  if (reasoning && body.limitParameter === 'max_tokens') {
    return unsupportedParameter(
      'max_tokens',
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    );
  }
  if (!reasoning && body.reasoning_effort !== undefined) return unrecognizedArgument('reasoning_effort');
  // Reasoning models sample at their own settings: only the default value (1) is taken.
  for (const param of ['temperature', 'top_p'] as const) {
    const value = body[param];
    if (reasoning && value !== undefined && value !== 1) {
      return unsupportedParameter(
        param,
        `Unsupported value: '${param}' does not support ${value} with this model. Only the default (1) value is supported.`,
        'unsupported_value',
      );
    }
  }
  return undefined;
}
