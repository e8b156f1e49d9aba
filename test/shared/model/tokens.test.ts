/**
 * Token counting is priced on tenant text, so it must stay linear and never fall below what the service
 * counts (the tokenizer on the whole text): the pacer reserves quota with it.
 */
import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_CHARS,
  countPromptTokens,
  countTextTokens,
  promptTokenUpperBound,
} from '../../../shared/model/tokens.js';

const words = fc.constantFrom(
  'the',
  'quick',
  'brown',
  'fox',
  "don't",
  'Ünïcödé',
  '漢字',
  '😀',
  '1234567',
  '!!',
  '\n',
  '\t',
  '  ',
  'https://example.com/a?b=c',
  'aaaaaaaaaaaa',
  '--',
  '\r\n',
  'naïve',
  'x',
);
const prose = fc.array(words, { maxLength: 400 }).map((parts) => parts.join(' '));
const runs = fc
  .tuple(
    fc.constantFrom('a', ' ', '\n', '!', '漢', '😀', 'é', '1', 'ab', ' a'),
    fc.integer({ min: 1, max: 1500 }),
  )
  .map(([unit, count]) => unit.repeat(count));
const mixed = fc
  .array(fc.oneof(prose, runs, fc.string({ unit: 'grapheme', maxLength: 300 })), { maxLength: 6 })
  .map((parts) => parts.join(''));

describe('countTextTokens', () => {
  it('equals the tokenizer on ordinary prose, however long', () => {
    fc.assert(
      fc.property(prose, (text) => {
        expect(countTextTokens(text)).toBe(countTokens(text));
      }),
      { numRuns: 300 },
    );
  });

  it('never counts fewer tokens than the tokenizer on the whole text, for runs and arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(runs, mixed), (text) => {
        expect(countTextTokens(text)).toBeGreaterThanOrEqual(countTokens(text));
      }),
      { numRuns: 300 },
    );
  });

  it('stays close to the tokenizer on runs of one character (one extra token per hard cut at most)', () => {
    for (const unit of ['a', ' ', '\n', '漢', '😀']) {
      const text = unit.repeat(4000);
      const exact = countTokens(text);
      const cuts = Math.ceil(text.length / CHUNK_CHARS);
      expect(countTextTokens(text)).toBeLessThanOrEqual(exact + 2 * cuts);
    }
  });

  it('never splits a surrogate pair', () => {
    const text = 'a' + '😀'.repeat(CHUNK_CHARS);
    // Each emoji alone is at least one token; a split pair would show as replacement characters costing more.
    expect(countTextTokens(text)).toBeLessThanOrEqual(countTokens(text) + 4);
  });

  it('counts 120,000 characters of one letter in far less than a second (the whole-text count took 18.3 s)', () => {
    // Speed is measured by `npm run bench` (heavy-input); this only guards against the quadratic path.
    const started = performance.now();
    countTextTokens('a'.repeat(120_000));
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('promptTokenUpperBound', () => {
  it('is never below the count', () => {
    fc.assert(
      fc.property(fc.array(mixed, { minLength: 1, maxLength: 4 }), (texts) => {
        const messages = texts.map((content) => ({ role: 'user', content }));
        expect(promptTokenUpperBound(messages)).toBeGreaterThanOrEqual(countPromptTokens(messages));
      }),
      { numRuns: 100 },
    );
  });
});
