/**
 * parseJsonSafely without a reviver (issue 16: a reviver call per value cost about 100 ms of event loop for
 * a 1 MB body of small objects). The refusals stay exactly as they were.
 */
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../../shared/errors/index.js';
import { parseJsonSafely } from '../../../functions/http/safe-json.js';

/** Under the 1 MiB body limit: 80,000 small objects, one reviver call per value before. */
const manyObjects = JSON.stringify(Array.from({ length: 80_000 }, (_, i) => ({ a: i })));

function median(run: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i += 1) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[3] ?? Number.NaN;
}

describe('parseJsonSafely', () => {
  test('refuses own __proto__, constructor and prototype keys at any depth, in arrays too', () => {
    for (const text of [
      '{"__proto__":{"x":1}}',
      '[{"a":[{"constructor":1}]}]',
      '{"a":{"b":{"prototype":null}}}',
      '{"\\u005f_proto__":1}',
    ]) {
      expect(() => parseJsonSafely(text), text).toThrow(ValidationError);
    }
    expect(parseJsonSafely('{"a":"__proto__","b":["constructor"]}')).toEqual({
      a: '__proto__',
      b: ['constructor'],
    });
  });

  test('invalid JSON is still a ValidationError', () => {
    expect(() => parseJsonSafely('{"a":1')).toThrow('not valid JSON');
  });

  test('a body of many small objects costs a small multiple of JSON.parse, not a call per value', () => {
    parseJsonSafely(manyObjects);
    const plain = median(() => JSON.parse(manyObjects));
    const safe = median(() => parseJsonSafely(manyObjects));
    // With the reviver this was about 6x (17 ms plain, 103 ms safe on the reference box); now about 2x.
    expect(safe, `plain ${plain.toFixed(1)} ms, safe ${safe.toFixed(1)} ms`).toBeLessThan(plain * 3.5);
  });
});
