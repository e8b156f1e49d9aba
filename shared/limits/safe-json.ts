/**
 * JSON parsing for untrusted input. `JSON.parse` itself does not pollute prototypes (it defines own
 * properties), but an own `__proto__`, `constructor` or `prototype` key becomes dangerous the moment
 * some later code merges or spreads the object into another (`Object.assign`, deep merge, lodash.merge).
 * No legitimate request needs those keys, so they are refused outright. Nesting depth is bounded too:
 * recursive code downstream (schema validation, redaction, serialisers) must not blow the stack.
 */
import { ValidationError } from '../errors/index.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseJsonSafely(text: string, maxDepth = 64): unknown {
  checkDepth(text, maxDepth);
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey(key);
      return value;
    });
  } catch (error) {
    if (error instanceof ForbiddenKey) {
      throw new ValidationError(`The key "${error.key}" is not allowed in request bodies.`);
    }
    throw new ValidationError('The request body is not valid JSON.');
  }
}

class ForbiddenKey extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

/** One pass over the text, skipping strings, counting open brackets. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxDepth)
        throw new ValidationError(`The request body nests deeper than ${maxDepth} levels.`);
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
}
