/**
 * Tenant patterns on RE2 (shared/schemas/regexp.ts): ECMA-262 meaning kept where RE2 can run it, a
 * reason a person can act on where it cannot, and linear time either way.
 */
import { describe, expect, it } from 'vitest';
import { compilePattern } from '../../../shared/schemas/regexp.js';

function matcher(pattern: string): (input: string) => boolean {
  const result = compilePattern(pattern);
  if (!result.ok) throw new Error(`refused ${pattern}: ${result.reason}`);
  return (input) => result.re2.test(input);
}

describe('compilePattern', () => {
  it('keeps common patterns working, with the meaning V8 gives them under the u flag', () => {
    const cases: Array<[string, string[]]> = [
      ['^[a-z]+$', ['abc', 'aBc', '', 'abc\n', 'é']],
      ['^\\d{3}-\\d{4}$', ['555-1234', '555-12345', '٣٣٣-1234', 'abc-defg']],
      ['^\\p{L}+$', ['héllo', 'Привет', '日本語', 'a1', '']],
      ['^[\\w.+-]+@[\\w-]+\\.[\\w.]+$', ['a.b+c@x-y.com', 'a@b', 'a b@c.d']],
      ['^\\s*\\S+\\s*$', [' x ', '\u00a0x\u3000', '\u00a0', 'x y']],
      ['^.$', ['a', '\n', '\r', '\u2028', '😀']],
      ['^[^]$', ['\n', 'x', '']],
      ['^[]$', ['', 'x']],
      ['^\\u{1F600}\\uD83D\\uDE00$', ['😀😀', '😀']],
      ['^(?<year>\\d{4})-(?:0[1-9]|1[0-2])$', ['2024-01', '2024-13']],
      ['^[\\-a-c\\]]+$', ['-a]', 'd', 'b-']],
      ['^\\p{Script=Greek}+$', ['αβγ', 'abc']],
      ['^a{2,3}?b*?\\x41\\cJ\\/\\.$', ['aaAb\n/.', 'aab\n/.', 'aaA\n/.']],
      ['\\bword\\b', ['a word here', 'swordfish']],
      ['colou?r', ['my color', 'colr']],
    ];
    for (const [pattern, inputs] of cases) {
      const test = matcher(pattern);
      const native = new RegExp(pattern, 'u');
      for (const input of inputs)
        expect(test(input), `${pattern} on ${JSON.stringify(input)}`).toBe(native.test(input));
    }
  });

  it('refuses what RE2 cannot run, saying what and why', () => {
    const refused: Array<[string, RegExp]> = [
      ['^(?=a)a$', /lookahead, lookbehind/],
      ['(?<!a)b', /lookahead, lookbehind/],
      ['(a)\\1', /backreference \(\\1\)/],
      ['(?<x>a)\\k<x>', /named backreference/],
      ['x{1001}', /linear-time engine \(RE2\): invalid repeat count/],
      ['((a{1000}){1000}){1000}', /RE2/],
      ['(', /not a valid ECMA-262 regular expression/],
      ['a'.repeat(1_001), /longer than 1000 characters/],
    ];
    for (const [pattern, reason] of refused) {
      const result = compilePattern(pattern);
      expect(result.ok, pattern).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    }
  });

  it('runs ^(a+)+$ in linear time (V8 takes 1.1 s at 25 characters, x4 per two more)', () => {
    const test = matcher('^(a+)+$');
    const started = performance.now();
    expect(test(`${'a'.repeat(25)}!`)).toBe(false);
    expect(test(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(test('a'.repeat(100_000))).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
