/**
 * The port the invoke stage calls. Implementations (shared/model/*) map every provider failure onto the
 * error vocabulary: PermanentError (job fails), RetryAfterError (message rescheduled), ConfigurationError.
 */
import type { ToolCall } from '../jobs/chat-messages.js';
import type { JobRequest } from '../jobs/job-request.js';

export interface ModelUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  /** Of `completionTokens`, those a reasoning model spent thinking (billed as output, never shown). */
  readonly reasoningTokens?: number;
}

export interface ModelCompletion {
  /** The assistant message text; null when the model returned only a refusal or tool calls. */
  readonly content: string | null;
  readonly refusal: string | null;
  /** The functions the model asked to call (`finishReason` is then `tool_calls`). */
  readonly toolCalls?: ToolCall[];
  /** An embeddings job's vectors, one per input in order. */
  readonly embeddings?: number[][];
  readonly finishReason: string;
  readonly usage: ModelUsage;
  /** Which concrete deployment answered (after routing), and the model name it reported. */
  readonly deployment: string;
  readonly model: string;
  readonly responseId: string;
  /** `batch` when a Global Batch deployment answered (shared/capacity/); absent: a real-time call. */
  readonly capacity?: 'realtime' | 'batch';
}

/** What the fair scheduler weighs a call by (shared/model/fairness/); absent: standard, weight 1. */
export interface CallScheduling {
  readonly priority: 'interactive' | 'standard' | 'background';
  /** The tenant's weight against other tenants on a saturated deployment. */
  readonly weight: number;
  /** The tenant's model tokens per minute for this alias, fleet-wide. */
  readonly tokensPerMinute?: number;
  /** Epoch ms by which the job must have been called (its deadline or expiry, whichever is first). */
  readonly deadlineAt?: number;
}

export interface ModelCallContext {
  readonly jobId: string;
  readonly tenantId: string;
  readonly attempt: number;
  readonly scheduling?: CallScheduling;
  readonly traceparent?: string;
  readonly signal?: AbortSignal;
  /**
   * Called for each call sent and then given up on (a timeout): the model may still have answered it and
   * charged the tokens, which nobody will see. The caller flags them on the job (JobUsage.unseenCalls).
   */
  readonly onUnanswered?: () => void;
}

export interface ModelClient {
  /** A chat completion, or an embeddings job's vectors (`embeddings`, with `content` null). */
  complete(request: JobRequest, context: ModelCallContext): Promise<ModelCompletion>;
}
