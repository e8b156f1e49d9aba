/**
 * Model clients that answer as a test scripts them, and the completions they return: model
 * 'gpt-4o-mini' on deployment 'd1' unless the test says otherwise.
 */
import type { ModelClient, ModelCompletion } from '../../shared/model/port.js';

export interface AnswerOptions {
  readonly responseId: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly content?: string;
  readonly model?: string;
}

export function modelAnswer(options: AnswerOptions): ModelCompletion {
  return {
    content: options.content ?? `answer ${options.responseId}`,
    refusal: null,
    finishReason: 'stop',
    usage: {
      promptTokens: options.promptTokens,
      completionTokens: options.completionTokens,
      cachedTokens: 0,
    },
    deployment: 'd1',
    model: options.model ?? 'gpt-4o-mini',
    responseId: options.responseId,
  };
}

/** Answers at once, call by call from `answers`, the last one again once they run out. */
export function countingModel(...answers: ModelCompletion[]): ModelClient & { calls: number } {
  const model = {
    calls: 0,
    complete: () => {
      const next = answers[Math.min(model.calls, answers.length - 1)]!;
      model.calls += 1;
      return Promise.resolve(next);
    },
  };
  return model;
}

/** A model whose calls answer when the test says so, in any order. */
export function heldModel(): ModelClient & {
  calls: number;
  answer(index: number, completion: ModelCompletion): void;
} {
  const pending: Array<(completion: ModelCompletion) => void> = [];
  const model = {
    calls: 0,
    complete: () => {
      model.calls += 1;
      return new Promise<ModelCompletion>((resolve) => pending.push(resolve));
    },
    answer: (index: number, completion: ModelCompletion) => pending[index]?.(completion),
  };
  return model;
}
