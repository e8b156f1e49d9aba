/**
 * Prompt token counting the way the service meters it. Azure OpenAI counts a request toward TPM when it
 * arrives as prompt tokens + `max_tokens`, so the pacer and the simulator both price a request with this.
 *
 * Tenants send the text, so its cost must be linear: gpt-tokenizer's byte-pair merge is quadratic in the
 * length of one pre-token (a run of one character: 40k characters took 1.8 s, 120k 18.3 s), so text is
 * counted in chunks of at most CHUNK_CHARS characters. Cutting before a space or tab that follows a
 * non-space changes nothing (o200k's split pattern never puts such a pair in one pre-token), so ordinary
 * text counts exactly; a run with no such point is cut hard, and each hard cut adds one token so that
 * the count stays an upper bound of the service's (test/shared/model/tokens.test.ts checks both).
 */
import { countTokens } from 'gpt-tokenizer';
import { embeddingInputs, isEmbeddingsRequest, type EmbeddingsRequest } from '../jobs/embeddings.js';
import type { ChatRequest } from '../jobs/schema.js';
import { imageTokens, type CountableImage } from './image-tokens.js';

/**
 * OpenAI's published chat accounting (cookbook "How to count tokens"): every message costs 3 tokens of
 * framing plus its content, a `name` costs 1 more, and the reply is primed with 3 tokens. o200k_base is
 * the encoding of the gpt-4o / gpt-4.1 / gpt-5 families.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/** Longest piece handed to the tokenizer; bounds its quadratic part to a constant per chunk. */
export const CHUNK_CHARS = 256;

export type CountablePart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image_url'; readonly image_url: CountableImage };

/** The shape counted: the platform's ChatMessage, or any OpenAI-style message. */
export interface CountableMessage {
  readonly role: string;
  readonly content?: string | null | readonly CountablePart[] | undefined;
  readonly name?: string | undefined;
  readonly tool_calls?:
    | ReadonlyArray<{
        readonly id: string;
        readonly function: { readonly name: string; readonly arguments: string };
      }>
    | undefined;
  readonly tool_call_id?: string | undefined;
}

/**
 * The text of a message the tokenizer counts: its text parts, and the calls it made or answers (ids,
 * names and arguments are tokens the service reads too). Image parts are priced by their own formula.
 */
export function messageText(message: CountableMessage): string {
  const content = message.content;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (content) for (const part of content) if (part.type === 'text') text += part.text;
  for (const call of message.tool_calls ?? []) text += call.id + call.function.name + call.function.arguments;
  return message.tool_call_id === undefined ? text : message.tool_call_id + text;
}

function imagesOf(message: CountableMessage): number {
  if (!Array.isArray(message.content)) return 0;
  let total = 0;
  for (const part of message.content as readonly CountablePart[]) {
    if (part.type === 'image_url') total += imageTokens(part.image_url);
  }
  return total;
}

/**
 * The messages the service reads for `request`: its function definitions are rendered into the prompt
 * ahead of the messages, so they are counted as one more system message. Their JSON is counted, which
 * is longer than the service's compact rendering: the charge stays an upper bound.
 */
export function countableMessages(
  request: Pick<ChatRequest, 'messages' | 'tools'> | EmbeddingsRequest,
): readonly CountableMessage[] {
  // Each input of an embeddings job counted as a message: its framing is an over-count, never under.
  if (isEmbeddingsRequest(request))
    return embeddingInputs(request).map((text) => ({ role: 'user', content: text }));
  if (!request.tools) return request.messages;
  return [{ role: 'system', content: JSON.stringify(request.tools) }, ...request.messages];
}

export function countPromptTokens(messages: readonly CountableMessage[]): number {
  return chatTokens(messages, countTextTokens);
}

/** The chat framing around each message's role, text and name, each measured by `tokensOf`. */
function chatTokens(messages: readonly CountableMessage[], tokensOf: (text: string) => number): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + tokensOf(message.role) + tokensOf(messageText(message)) + imagesOf(message);
    if (message.name !== undefined) total += TOKENS_PER_NAME + tokensOf(message.name);
  }
  return total;
}

/** Tokens of `text`, exact for ordinary text and never below the tokenizer's count; linear time. */
export function countTextTokens(text: string): number {
  if (text.length <= CHUNK_CHARS) return countTokens(text);
  let total = 0;
  let start = 0;
  while (start < text.length) {
    const { end, hard } = chunkEnd(text, start);
    total += countTokens(text.slice(start, end)) + (hard ? 1 : 0);
    start = end;
  }
  return total;
}

/**
 * Where the chunk starting at `start` ends: before the last space or tab (after a non-space) within
 * CHUNK_CHARS, else at CHUNK_CHARS, moved back one so a surrogate pair is never split.
 */
function chunkEnd(text: string, start: number): { end: number; hard: boolean } {
  const limit = start + CHUNK_CHARS;
  if (limit >= text.length) return { end: text.length, hard: false };
  for (let index = limit; index > start + 1; index -= 1) {
    const code = text.charCodeAt(index);
    if ((code === 0x20 || code === 0x09) && !isSpace(text.charCodeAt(index - 1))) {
      return { end: index, hard: false };
    }
  }
  const before = text.charCodeAt(limit - 1);
  const highSurrogate = before >= 0xd800 && before <= 0xdbff;
  return { end: highSurrogate ? limit - 1 : limit, hard: true };
}

function isSpace(code: number): boolean {
  // The characters \s matches below U+0100 and the common Unicode spaces; the rest are rare enough
  // that treating them as non-space only means one fewer soft cut, never a wrong count.
  return (
    code === 0x20 ||
    (code >= 0x09 && code <= 0x0d) ||
    code === 0xa0 ||
    code === 0x85 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * A bound that costs no tokenizer work: byte-level BPE never yields more tokens than UTF-8 bytes, so
 * this is always at or above countPromptTokens. Used when counting would cost more than it may.
 */
export function promptTokenUpperBound(messages: readonly CountableMessage[]): number {
  return chatTokens(messages, utf8Length);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Characters of text across the messages: what decides whether counting them is heavy work. */
export function promptChars(messages: readonly CountableMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += message.role.length + (message.name?.length ?? 0) + messageText(message).length;
  }
  return total;
}

/** What one request costs against TPM at arrival: prompt tokens plus the completion it may produce. */
export function quotaCost(
  request:
    Pick<ChatRequest, 'messages' | 'tools' | 'max_tokens' | 'max_completion_tokens'> | EmbeddingsRequest,
  defaultMaxTokens: number,
): number {
  return countPromptTokens(countableMessages(request)) + completionLimit(request, defaultMaxTokens);
}

/** The completion tokens a request may produce: whichever limit it set, else the platform default. */
export function completionLimit(
  request: Pick<ChatRequest, 'max_tokens' | 'max_completion_tokens'> | EmbeddingsRequest,
  defaultMaxTokens: number,
): number {
  if (isEmbeddingsRequest(request)) return 0;
  return request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens;
}
