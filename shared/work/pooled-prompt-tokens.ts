/**
 * Prompt tokens counted where it costs least: small prompts on the event loop (the linear counter costs
 * at most a few ms there), large ones on the heavy-work pool so HTTP and the other stages keep answering,
 * and the byte bound (no tokenizer work at all) when the pool declines: the tenant already has its share
 * of the pool busy, the pool is full, or the count ran out of time. Every answer is at or above what the
 * service counts, so pacing stays safe; the bound only reserves more.
 */
import type { PromptTokenCounter } from '../model/prompt-tokens.js';
import { countPromptTokens, promptChars, promptTokenUpperBound } from '../model/tokens.js';
import type { HeavyWorkPool } from './heavy-work-pool.js';

/** Below this many characters a prompt is counted on the event loop (worst dense text: ~25 ms). */
export const DEFAULT_INLINE_CHARS = 4096;

/** How long a prompt waits for its tenant's share of the pool before the byte bound is used instead. */
export const DEFAULT_SHARE_WAIT_MS = 2_000;

export function pooledPromptTokenCounter(
  pool: HeavyWorkPool,
  inlineChars = DEFAULT_INLINE_CHARS,
  shareWaitMs = DEFAULT_SHARE_WAIT_MS,
): PromptTokenCounter {
  return async (messages, tenantId) => {
    if (promptChars(messages) <= inlineChars) {
      return countPromptTokens(messages);
    }
    // A tenant whose share is busy waits a little for it: the byte bound over-reserves dense text up to
    // 3x (CJK: 3 bytes, about one token a character), which can pace the job for a whole quota window.
    const outcome = await pool.run(tenantId, { kind: 'promptTokens', messages }, { waitMs: shareWaitMs });
    return outcome.ok ? outcome.value : promptTokenUpperBound(messages);
  };
}
