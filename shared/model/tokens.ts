/**
 * Prompt token counting the way the service meters it. Azure OpenAI counts a request toward TPM when it
 * arrives as prompt tokens + `max_tokens`, so the pacer and the simulator both price a request with this.
 */
import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage, ChatRequest } from '../jobs/schema.js';

/**
 * OpenAI's published chat accounting (cookbook "How to count tokens"): every message costs 3 tokens of
 * framing plus its content, a `name` costs 1 more, and the reply is primed with 3 tokens. o200k_base is
 * the encoding of the gpt-4o / gpt-4.1 / gpt-5 families.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/** The shape counted: the platform's ChatMessage, or any OpenAI-style message with text content. */
export interface CountableMessage {
  readonly role: string;
  readonly content: ChatMessage['content'];
  readonly name?: string | undefined;
}

export function messageText(message: Pick<CountableMessage, 'content'>): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  return content.map((part) => part.text).join('');
}

export function countPromptTokens(messages: readonly CountableMessage[]): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.role) + countTokens(messageText(message));
    if (message.name !== undefined) total += TOKENS_PER_NAME + countTokens(message.name);
  }
  return total;
}

export function countTextTokens(text: string): number {
  return countTokens(text);
}

/** What one request costs against TPM at arrival: prompt tokens plus the completion it may produce. */
export function quotaCost(
  request: Pick<ChatRequest, 'messages' | 'max_tokens'>,
  defaultMaxTokens: number,
): number {
  return countPromptTokens(request.messages) + (request.max_tokens ?? defaultMaxTokens);
}
