/**
 * Tenant regular expressions (`pattern`, `patternProperties`) on RE2, a linear-time engine: V8's
 * backtracking engine takes exponential time on `^(a+)+$` against "aaaa…!", and it runs on the event loop
 * every tenant shares. JSON Schema patterns are ECMA-262 regular expressions, which ajv compiles with the
 * `u` flag; this module parses that syntax and writes the same language in RE2 syntax, or refuses what RE2
 * cannot express (lookarounds, backreferences) with a reason a person can act on.
 *
 * Where the two dialects differ, ECMA-262 wins: `\s` is ECMA-262 white space (RE2's is ASCII only), `.`
 * excludes every line terminator (RE2's excludes only \n), literals are written as `\x{…}` so no RE2-only
 * syntax (`[[:alpha:]]`, `\Q…\E`, `(?i)`) can be smuggled in. `\d`, `\w` and `\b` are ASCII in both.
 */
import { createRequire } from 'node:module';
import type * as Re2Module from 're2js';
import { SCHEMA_LIMITS } from './limits.js';

export type Re2Pattern = Re2Module.RE2JS;
export type PatternResult =
  { readonly ok: true; readonly re2: Re2Pattern } | { readonly ok: false; readonly reason: string };

/** ECMA-262 WhiteSpace and LineTerminator, and their complement, as RE2 class contents. */
const WS =
  '\\x{9}-\\x{D}\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const NOT_WS =
  '\\x{0}-\\x{8}\\x{E}-\\x{1F}\\x{21}-\\x{9F}\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}\\x{200B}-\\x{2027}' +
  '\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{FEFE}\\x{FF00}-\\x{10FFFF}';
/** ECMA-262 `.` without the `s` flag: anything but a line terminator. */
const DOT = '[^\\x{A}\\x{D}\\x{2028}\\x{2029}]';

class Refused extends Error {}

/** Loaded on first use: patterns are rare and the background preload should not pay for re2js. */
let re2js: typeof Re2Module | undefined;
function engine(): typeof Re2Module {
  re2js ??= createRequire(import.meta.url)('re2js') as typeof Re2Module;
  return re2js;
}

const cache = new Map<string, PatternResult>();
const MAX_CACHED_PATTERNS = 1_024;

/** Compiles a tenant pattern on RE2, or says why it cannot run there. Results are cached (bounded). */
export function compilePattern(pattern: string): PatternResult {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const result = compileUncached(pattern);
  if (cache.size >= MAX_CACHED_PATTERNS) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, result);
  return result;
}

function compileUncached(pattern: string): PatternResult {
  if (pattern.length > SCHEMA_LIMITS.maxPatternChars) {
    return { ok: false, reason: `is longer than ${SCHEMA_LIMITS.maxPatternChars} characters` };
  }
  try {
    // Parsing only (nothing is matched), linear in the pattern: rejects what ECMA-262 itself rejects.
    new RegExp(pattern, 'u');
  } catch {
    return { ok: false, reason: 'is not a valid ECMA-262 regular expression (with the u flag)' };
  }
  let translated: string;
  try {
    translated = toRe2Syntax(pattern);
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.message };
    throw error;
  }
  const { RE2JS } = engine();
  let re2: Re2Pattern;
  try {
    re2 = RE2JS.compile(translated);
  } catch (error) {
    // RE2's own words ("invalid repeat count", "invalid character class range") name the construct.
    const said = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : '';
    return { ok: false, reason: `cannot run on the linear-time engine (RE2): ${said}` };
  }
  if (re2.programSize() > SCHEMA_LIMITS.maxPatternProgram) {
    return { ok: false, reason: 'expands to too large a program (reduce repeat counts like {1000})' };
  }
  return { ok: true, re2 };
}

/**
 * ajv's `code.regExp` engine (ajv 8: `(pattern, flags) => { test(s) }` with a `code` name used only for
 * standalone code, which we do not generate). Throws on a refused pattern, which fails the compile; the
 * submit check reports the same refusal first with its field path.
 */
export const re2RegExpEngine = Object.assign(
  (pattern: string): { test(input: string): boolean; toString(): string } => {
    const result = compilePattern(pattern);
    if (!result.ok) throw new Error(`pattern ${JSON.stringify(pattern)} ${result.reason}`);
    const { re2 } = result;
    // ajv keeps one compiled pattern per `toString()` of what this returns: it must name the pattern,
    // or every pattern of a schema would be tested with the first one compiled.
    return { test: (input: string) => re2.test(input), toString: () => `/${pattern}/u` };
  },
  { code: 're2js' },
);

const hex = (codePoint: number): string => `\\x{${codePoint.toString(16).toUpperCase()}}`;

/** ECMA-262 (u flag) pattern, already known to be valid, to RE2 syntax. Throws Refused. */
export function toRe2Syntax(pattern: string): string {
  const chars = Array.from(pattern);
  let i = 0;
  let out = '';
  const peek = (offset = 0): string | undefined => chars[i + offset];

  /** One escape after the backslash; `inClass` changes `\b` and how class escapes are written. */
  const escape = (inClass: boolean): { text: string; single: boolean } => {
    const c = chars[i++] ?? '';
    const char = (codePoint: number) => ({ text: hex(codePoint), single: true });
    const set = (contents: string) => ({ text: inClass ? contents : `[${contents}]`, single: false });
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        return { text: `\\${c}`, single: false };
      case 's':
        return set(WS);
      case 'S':
        return set(NOT_WS);
      case 'b':
        return inClass ? char(0x08) : { text: '\\b', single: false };
      case 'B':
        return { text: '\\B', single: false };
      case 'f':
        return char(0x0c);
      case 'n':
        return char(0x0a);
      case 'r':
        return char(0x0d);
      case 't':
        return char(0x09);
      case 'v':
        return char(0x0b);
      case '0':
        return char(0);
      case 'c':
        return char((chars[i++] ?? 'A').charCodeAt(0) % 32);
      case 'x': {
        const digits = chars.slice(i, i + 2).join('');
        i += 2;
        return char(parseInt(digits, 16));
      }
      case 'u':
        return char(unicodeEscape());
      case 'p':
      case 'P':
        return { text: `\\${c}{${property()}}`, single: false };
      case 'k':
        throw new Refused(
          'uses a named backreference (\\k<…>), which the linear-time engine (RE2) cannot run',
        );
      default:
        if (/^[1-9]$/.test(c)) {
          throw new Refused(`uses a backreference (\\${c}), which the linear-time engine (RE2) cannot run`);
        }
        // Left: the escaped syntax characters ^$\.*+?()[]{}|/ and, in a class, '-'.
        return char(c.codePointAt(0) ?? 0);
    }
  };

  const unicodeEscape = (): number => {
    if (peek() === '{') {
      const end = chars.indexOf('}', i);
      const value = parseInt(chars.slice(i + 1, end).join(''), 16);
      i = end + 1;
      return value;
    }
    const high = parseInt(chars.slice(i, i + 4).join(''), 16);
    i += 4;
    // u flag: an escaped surrogate pair is one code point.
    if (high >= 0xd800 && high <= 0xdbff && peek() === '\\' && peek(1) === 'u' && peek(2) !== '{') {
      const low = parseInt(chars.slice(i + 2, i + 6).join(''), 16);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i += 6;
        return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
      }
    }
    return high;
  };

  /** `\p{…}` value: ECMA-262 `Script=Greek`, `gc=Lu` are RE2's `Greek`, `Lu`. */
  const property = (): string => {
    const end = chars.indexOf('}', i);
    const value = chars.slice(i + 1, end).join('');
    i = end + 1;
    const [name, rest] = value.split('=', 2);
    if (rest === undefined) return value;
    if (name === 'Script' || name === 'sc' || name === 'General_Category' || name === 'gc') return rest;
    throw new Refused(`uses \\p{${value}}, which the linear-time engine (RE2) does not know`);
  };

  const classAtom = (): { text: string; single: boolean } => {
    const c = chars[i++] ?? '';
    if (c === '\\') return escape(true);
    return { text: hex(c.codePointAt(0) ?? 0), single: true };
  };

  const characterClass = (): string => {
    let negated = false;
    if (peek() === '^') {
      negated = true;
      i++;
    }
    if (peek() === ']') {
      i++;
      // `[]` matches nothing and `[^]` anything; RE2 has no empty class.
      return negated ? '[\\x{0}-\\x{10FFFF}]' : '[^\\x{0}-\\x{10FFFF}]';
    }
    let body = '';
    while (i < chars.length && peek() !== ']') {
      const from = classAtom();
      // ECMA-262 ClassRanges: `a-z` is a range unless the '-' is last; a lone '-' is a literal.
      if (peek() === '-' && peek(1) !== ']' && peek(1) !== undefined) {
        i++;
        const to = classAtom();
        body += `${from.text}-${to.text}`;
      } else {
        body += from.text;
      }
    }
    i++;
    return `[${negated ? '^' : ''}${body}]`;
  };

  while (i < chars.length) {
    const c = chars[i++] ?? '';
    switch (c) {
      case '\\':
        out += escape(false).text;
        break;
      case '[':
        out += characterClass();
        break;
      case '.':
        out += DOT;
        break;
      case '(':
        if (peek() !== '?') {
          out += '(';
        } else if (peek(1) === ':') {
          out += '(?:';
          i += 2;
        } else if (peek(1) === '<' && peek(2) !== '=' && peek(2) !== '!') {
          // Named group: the name only matters to exec(), never to test(); a plain group matches the same.
          i = chars.indexOf('>', i) + 1;
          out += '(';
        } else {
          throw new Refused(
            'uses a lookahead, lookbehind or inline modifier group, which the linear-time engine (RE2) cannot run',
          );
        }
        break;
      case '{': {
        // In u mode a brace is always a quantifier {n}, {n,} or {n,m}: copy it as it is.
        const end = chars.indexOf('}', i);
        out += chars.slice(i - 1, end + 1).join('');
        i = end + 1;
        break;
      }
      case '^':
      case '$':
      case '|':
      case ')':
      case '*':
      case '+':
      case '?':
        out += c;
        break;
      default:
        out += /^[A-Za-z0-9]$/.test(c) ? c : hex(c.codePointAt(0) ?? 0);
    }
  }
  return out;
}
