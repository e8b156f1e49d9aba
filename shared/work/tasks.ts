/**
 * The work a heavy-work thread does, by kind. Runs inside piscina's worker threads (heavy-work-pool.ts);
 * each task is plain data in and plain data out, so it crosses the thread boundary by structured clone.
 */
import { countPromptTokens, type CountableMessage } from '../model/tokens.js';

export type HeavyTask = { readonly kind: 'promptTokens'; readonly messages: readonly CountableMessage[] };

export interface HeavyResults {
  readonly promptTokens: number;
}

export type HeavyResult<T extends HeavyTask> = HeavyResults[T['kind']];

export default function runHeavyTask(task: HeavyTask): HeavyResults[HeavyTask['kind']] {
  switch (task.kind) {
    case 'promptTokens':
      return countPromptTokens(task.messages);
  }
}
