/**
 * Building an answer: the generated content (JSON for a json_schema or json_object response format,
 * otherwise text of a deterministic length), the usage block with Azure's prompt caching, and the
 * `chat.completion` body. Everything derives from the deployment's model, the prompt and the seed, so
 * the same request always gets the same answer and tests can assert on it.
 */
import { createHash } from 'node:crypto';
import type { ChatBody } from './chat-request.js';
import { generateJson, generateJsonObject, generateText, type GeneratedText } from './content.js';
import { toolCallFor, toolCallTokens, type SimulatedToolCall } from './tool-calls.js';
import type { CompletionRange } from './types.js';

/** Azure prompt caching: prompts of 1,024+ tokens seen before hit the cache in 128-token increments. */
const CACHE_MIN_TOKENS = 1024;
const CACHE_INCREMENT = 128;

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: { readonly cached_tokens: number; readonly audio_tokens: number };
  readonly completion_tokens_details: { readonly reasoning_tokens: number; readonly audio_tokens: number };
}

export interface Completion {
  readonly id: string;
  readonly model: string;
  readonly generated: GeneratedText;
  /** Set when the model calls a tool instead of answering (finish_reason `tool_calls`). */
  readonly toolCall?: SimulatedToolCall;
  readonly finishReason: 'length' | 'stop' | 'tool_calls';
  readonly usage: Usage;
}

/**
 * Tokens a reasoning deployment thinks, by `reasoning_effort` (the service's default is medium), at most
 * half the completion limit so an answer still fits. Billed as completion tokens, never shown.
 */
const REASONING_TOKENS: Record<string, number> = { none: 0, minimal: 0, low: 64, medium: 192, high: 512 };

function reasoningTokensFor(effort: string | undefined, maxTokens: number): number {
  return Math.min(REASONING_TOKENS[effort ?? 'medium'] ?? 0, Math.floor(maxTokens / 2));
}

export interface CompletionInput {
  readonly body: ChatBody;
  readonly model: string;
  readonly promptText: string;
  readonly promptTokens: number;
  readonly maxTokens: number;
  /** A reasoning deployment: part of the completion is reasoning tokens. */
  readonly reasoning?: boolean;
}

export class CompletionGenerator {
  /** Hashes of prompts seen so far: a repeated long prompt reports cached tokens. */
  private readonly promptCache = new Set<string>();

  constructor(private readonly range: CompletionRange) {}

  complete(input: CompletionInput): Completion {
    const { body, model, promptText, promptTokens, maxTokens } = input;
    const seed = `${model}\n${promptText}\n${body.seed ?? ''}`;
    const reasoningTokens =
      input.reasoning === true ? reasoningTokensFor(body.reasoning_effort, maxTokens) : 0;
    const toolCall = toolCallFor(body, seed);
    const generated = toolCall
      ? { text: '', tokens: toolCallTokens(toolCall), truncated: false }
      : this.generate(body, seed, maxTokens - reasoningTokens);
    const completionTokens = generated.tokens + reasoningTokens;
    const promptKey = createHash('sha256').update(promptText).digest('hex');
    const cachedTokens =
      promptTokens >= CACHE_MIN_TOKENS && this.promptCache.has(promptKey)
        ? Math.floor(promptTokens / CACHE_INCREMENT) * CACHE_INCREMENT
        : 0;
    this.promptCache.add(promptKey);
    return {
      id: `chatcmpl-sim-${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`,
      model,
      generated,
      ...(toolCall ? { toolCall } : {}),
      finishReason: toolCall ? 'tool_calls' : generated.truncated ? 'length' : 'stop',
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoningTokens, audio_tokens: 0 },
      },
    };
  }

  private generate(body: ChatBody, seed: string, maxTokens: number): GeneratedText {
    const format = body.response_format;
    if (format?.type === 'json_schema') return generateJson(seed, format.json_schema?.schema);
    if (format?.type === 'json_object') return generateJsonObject(seed);
    const span = this.range.max - this.range.min + 1;
    const target = this.range.min + (createHash('sha256').update(seed).digest().readUInt32LE(4) % span);
    return generateText(seed, target, maxTokens);
  }
}

/** The non-streaming response body, shaped like Azure's (content filter results included). */
export function toChatCompletionBody(completion: Completion): Record<string, unknown> {
  return {
    id: completion.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: completion.model,
    system_fingerprint: 'fp_simulated',
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
    choices: [
      {
        index: 0,
        finish_reason: completion.finishReason,
        logprobs: null,
        message: completion.toolCall
          ? { role: 'assistant', content: null, refusal: null, tool_calls: [completion.toolCall] }
          : { role: 'assistant', content: completion.generated.text, refusal: null },
        content_filter_results: {},
      },
    ],
    usage: completion.usage,
  };
}
