/**
 * The port the invoke stage calls. Implementations (shared/model/*) map every provider failure onto the
 * error vocabulary: PermanentError (job fails), RetryAfterError (message rescheduled), ConfigurationError.
 */
import type { ChatRequest } from '../jobs/schema.js';

export interface ModelUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
}

export interface ModelCompletion {
  /** The assistant message text; null when the model returned only a refusal or tool calls. */
  readonly content: string | null;
  readonly refusal: string | null;
  readonly finishReason: string;
  readonly usage: ModelUsage;
  /** Which concrete deployment answered (after routing), and the model name it reported. */
  readonly deployment: string;
  readonly model: string;
  readonly responseId: string;
}

export interface ModelCallContext {
  readonly jobId: string;
  readonly tenantId: string;
  readonly attempt: number;
  readonly traceparent?: string;
  readonly signal?: AbortSignal;
}

export interface ModelClient {
  complete(request: ChatRequest, context: ModelCallContext): Promise<ModelCompletion>;
}
