/**
 * What the pacer charges a prompt, as a port: the model client needs a count at or above what the
 * service counts, and where that count is made (event loop, worker pool, byte bound) is the composition
 * root's choice (shared/work/pooled-prompt-tokens.ts). Without one, prompts are counted inline.
 */
import { countPromptTokens, type CountableMessage } from './tokens.js';

/** Prompt tokens, at or above the service's count, of `messages` sent for `tenantId`. */
export type PromptTokenCounter = (messages: readonly CountableMessage[], tenantId: string) => Promise<number>;

export const inlinePromptTokenCounter: PromptTokenCounter = (messages) =>
  Promise.resolve(countPromptTokens(messages));
