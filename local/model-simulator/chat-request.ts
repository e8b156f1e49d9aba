/**
 * Reading a chat completions request: which route it came on (the Azure deployment path or the OpenAI
 * `/v1` path), the body's few fields the simulator acts on, and the prompt as text. Validation refuses
 * what the service refuses with 400 (no messages, a non-positive max_tokens), so clients see the same
 * errors locally as in Azure.
 */

export interface ChatBody {
  readonly model?: string;
  readonly messages: Array<{ role: string; content: unknown; name?: string }>;
  readonly max_tokens?: number;
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
  | { readonly kind: 'azure'; readonly encodedDeployment: string }
  | { readonly kind: 'openai' }
  | { readonly kind: 'unknown' };

export function routeOf(pathname: string): ChatRoute {
  if (pathname === '/health') return { kind: 'health' };
  const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(pathname);
  if (azure) return { kind: 'azure', encodedDeployment: azure[1]! };
  if (pathname === '/v1/chat/completions' || pathname === '/openai/v1/chat/completions') {
    return { kind: 'openai' };
  }
  return { kind: 'unknown' };
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
  // Newer clients send max_completion_tokens instead; either one is the completion budget quota charges.
  const maxTokens = body['max_tokens'] ?? body['max_completion_tokens'];
  if (
    maxTokens !== undefined &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
  ) {
    throw new Error("'max_tokens' must be a positive integer");
  }
  return { ...(body as unknown as ChatBody), ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}) };
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
