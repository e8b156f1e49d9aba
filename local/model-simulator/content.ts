/**
 * Deterministic, clearly simulated completions: the same prompt always yields the same answer, so tests
 * can assert on it, and every answer says it is simulated so nobody mistakes it for a model's output.
 */
import { createHash } from 'node:crypto';
import { countTextTokens } from '../../shared/model/tokens.js';

export const SIMULATED_PREFIX = '[simulated]';

const WORDS = [
  'quota',
  'token',
  'queue',
  'message',
  'deployment',
  'region',
  'latency',
  'window',
  'budget',
  'retry',
  'job',
  'tenant',
  'webhook',
  'stage',
  'result',
  'model',
  'prompt',
  'answer',
  'summary',
  'signal',
];

/** A small seeded PRNG (mulberry32): deterministic across runs and platforms. */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface GeneratedText {
  readonly text: string;
  readonly tokens: number;
  readonly truncated: boolean;
}

/**
 * Free text of about `targetTokens` tokens, cut at `maxTokens` (finish_reason `length` then).
 */
export function generateText(seed: string, targetTokens: number, maxTokens: number): GeneratedText {
  const random = seededRandom(seed);
  const digest = createHash('sha256').update(seed).digest('hex').slice(0, 8);
  const words = [`${SIMULATED_PREFIX} reply ${digest}:`];
  // Every word in WORDS is one o200k token with its leading space, so the count stays exact and cheap.
  const budget = Math.min(targetTokens, maxTokens);
  let tokens = countTextTokens(words[0]!);
  while (tokens < budget) {
    words.push(WORDS[Math.floor(random() * WORDS.length)]!);
    tokens += 1;
  }
  let text = words.join(' ');
  let truncated = false;
  if (tokens > maxTokens || targetTokens > maxTokens) {
    truncated = true;
    // Recount precisely after trimming: the prefix alone may exceed a tiny max_tokens.
    while (countTextTokens(text) > maxTokens && text.length > 0) text = text.slice(0, -1);
  }
  return { text, tokens: countTextTokens(text), truncated };
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A value satisfying simple JSON Schemas (type, properties, required, items, enum, const), enough for
 * structured-output tests. Unknown constructs fall back to a string so the reply is still valid JSON.
 * `minimal`: an object gets only its required properties (tool-call arguments, as small as valid).
 */
export function valueForSchema(
  schema: unknown,
  random: () => number,
  path = 'value',
  depth = 0,
  minimal = false,
): JsonValue {
  if (typeof schema !== 'object' || schema === null || depth > 6) return `${SIMULATED_PREFIX} ${path}`;
  const node = schema as Record<string, unknown>;
  if ('const' in node) return node['const'] as JsonValue;
  if (Array.isArray(node['enum']) && node['enum'].length > 0) {
    return node['enum'][Math.floor(random() * node['enum'].length)] as JsonValue;
  }
  const anyOf = node['anyOf'] ?? node['oneOf'];
  if (Array.isArray(anyOf) && anyOf.length > 0)
    return valueForSchema(anyOf[0], random, path, depth + 1, minimal);
  const declared = node['type'];
  const type = Array.isArray(declared) ? (declared.find((t) => t !== 'null') as unknown) : declared;
  switch (type) {
    case 'object': {
      const properties = (node['properties'] ?? {}) as Record<string, unknown>;
      const result: Record<string, JsonValue> = {};
      const required = Array.isArray(node['required']) ? (node['required'] as unknown[]) : [];
      for (const [key, child] of Object.entries(properties)) {
        if (!minimal || required.includes(key))
          result[key] = valueForSchema(child, random, key, depth + 1, minimal);
      }
      return result;
    }
    case 'array': {
      const minItems = typeof node['minItems'] === 'number' ? node['minItems'] : 1;
      const count = Math.max(minItems, 1);
      return Array.from({ length: count }, (_, i) =>
        valueForSchema(node['items'], random, `${path}[${i}]`, depth + 1, minimal),
      );
    }
    case 'integer': {
      const min = typeof node['minimum'] === 'number' ? Math.ceil(node['minimum']) : 0;
      const max = typeof node['maximum'] === 'number' ? Math.floor(node['maximum']) : min + 100;
      return min + Math.floor(random() * (max - min + 1));
    }
    case 'number': {
      const min = typeof node['minimum'] === 'number' ? node['minimum'] : 0;
      const max = typeof node['maximum'] === 'number' ? node['maximum'] : min + 1;
      return Math.round((min + random() * (max - min)) * 1000) / 1000;
    }
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    default:
      return `${SIMULATED_PREFIX} ${path}`;
  }
}

export function generateJson(seed: string, schema: unknown): GeneratedText {
  const text = JSON.stringify(valueForSchema(schema, seededRandom(seed)));
  return { text, tokens: countTextTokens(text), truncated: false };
}

export function generateJsonObject(seed: string): GeneratedText {
  const digest = createHash('sha256').update(seed).digest('hex').slice(0, 8);
  const text = JSON.stringify({ simulated: true, reply: `${SIMULATED_PREFIX} ${digest}` });
  return { text, tokens: countTextTokens(text), truncated: false };
}
