/**
 * The work a heavy-work thread does, by kind. Runs inside piscina's worker threads (heavy-work-pool.ts);
 * each task is plain data in and plain data out, so it crosses the thread boundary by structured clone.
 * Compiled schemas stay cached on the thread that compiled them (shared/schemas/check.ts).
 */
import { countPromptTokens, type CountableMessage } from '../model/tokens.js';
import { schemaIssues, type SchemaIssue } from '../schemas/check.js';
import { checkAgainstSchema, type SchemaCheck } from '../schemas/output.js';

export type HeavyTask =
  | { readonly kind: 'promptTokens'; readonly messages: readonly CountableMessage[] }
  // Schemas and values travel as JSON text: a string crosses to the thread as one copy, where a
  // structured clone of a 1,000-property schema walked it on the event loop (~4 ms, measured).
  | { readonly kind: 'schemaIssues'; readonly schemaJson: string }
  | {
      readonly kind: 'schemaValidate';
      readonly schemaJson: string;
      readonly valueJson: string;
      readonly outputChars: number;
    };

export interface HeavyResults {
  readonly promptTokens: number;
  readonly schemaIssues: readonly SchemaIssue[];
  readonly schemaValidate: SchemaCheck;
}

export type HeavyResult<T extends HeavyTask> = HeavyResults[T['kind']];

export default function runHeavyTask(task: HeavyTask): HeavyResults[HeavyTask['kind']] {
  switch (task.kind) {
    case 'promptTokens':
      return countPromptTokens(task.messages);
    case 'schemaIssues':
      return schemaIssues(parseObject(task.schemaJson));
    case 'schemaValidate':
      return checkAgainstSchema(parseObject(task.schemaJson), JSON.parse(task.valueJson), task.outputChars);
  }
}

function parseObject(json: string): Record<string, unknown> {
  return JSON.parse(json) as Record<string, unknown>;
}
