/**
 * One line of a Global Batch file answered as the service answers it inside a batch: the same chat
 * completion the real-time path would give (deterministic from model, prompt and seed), or the error body
 * a real-time call would get (content filter, context length, server error) as that line's response.
 */
import { countPromptTokens } from '../../shared/model/tokens.js';
import { badRequest, contentFiltered, serverError, type ErrorResponse } from './azure-errors.js';
import { contentText, parseChatBody, promptTextOf, type ChatBody } from './chat-request.js';
import { toChatCompletionBody, type CompletionGenerator } from './completion.js';
import type { FaultInjector } from './faults.js';

export interface LineAnswer {
  readonly statusCode: number;
  readonly body: unknown;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export class BatchLineAnswers {
  constructor(
    private readonly completions: CompletionGenerator,
    private readonly faults: FaultInjector,
    private readonly defaultMaxTokens: number,
  ) {}

  /** Prompt tokens of a line body: what the deployment's enqueued-token limit counts. */
  static promptTokensOf(body: ChatBody): number {
    return countPromptTokens(
      body.messages.map((m) => ({ role: m.role, content: contentText(m.content), name: m.name })),
    );
  }

  answer(rawBody: unknown, deployment: string, model: string): LineAnswer {
    let body: ChatBody;
    try {
      body = parseChatBody(JSON.stringify(rawBody));
    } catch (error) {
      return failed(badRequest(error instanceof Error ? error.message : 'Invalid request body'), 0);
    }
    const promptTokens = BatchLineAnswers.promptTokensOf(body);
    const promptText = promptTextOf(body);
    const fault = this.faults.pick(deployment, promptText);
    if (fault === 'content_filter') return failed(contentFiltered(), promptTokens);
    if (fault !== null) return failed(serverError(500), promptTokens);
    const completion = this.completions.complete({
      body,
      model,
      promptText,
      promptTokens,
      maxTokens: body.max_tokens ?? this.defaultMaxTokens,
    });
    return {
      statusCode: 200,
      body: toChatCompletionBody(completion),
      promptTokens,
      completionTokens: completion.generated.tokens,
    };
  }
}

function failed(response: ErrorResponse, promptTokens: number): LineAnswer {
  return { statusCode: response.status, body: response.body, promptTokens, completionTokens: 0 };
}
