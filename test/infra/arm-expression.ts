/**
 * Evaluates what is left of ARM template expressions in a compiler snapshot: the compiler has already
 * evaluated parameters, variables and names, so the rest is run-time values (`reference(...)`) wrapped in
 * a few functions (createObject, createArray, string, format, concat, split, ...). reference() values are
 * stand-ins: a property named like an endpoint (`documentEndpoint`, `primaryEndpoints.blob`) becomes an
 * https URL, anything else `ref-<property>`.
 * Enough to hand the deployed app settings to the platform's own configuration parser.
 */

export class RunTimeValue {
  constructor(readonly property: string) {}
  toString(): string {
    return /endpoints?(\.[a-z]+)?$/i.test(this.property)
      ? `https://${this.property.toLowerCase()}.example.invalid/`
      : `ref-${this.property}`;
  }
}

type Value = unknown;

class Parser {
  private position = 0;
  constructor(private readonly text: string) {}

  parse(): Value {
    const value = this.expression();
    this.space();
    if (this.position !== this.text.length) throw new Error(`unparsed: ${this.text.slice(this.position)}`);
    return value;
  }

  private space(): void {
    while (/\s/.test(this.text[this.position] ?? '')) this.position++;
  }

  private expression(): Value {
    this.space();
    let value = this.primary();
    for (;;) {
      this.space();
      const next = this.text[this.position];
      if (next === '.') {
        this.position++;
        const name = this.identifier();
        value = member(value, name);
      } else if (next === '[') {
        this.position++;
        const index = this.expression();
        this.space();
        this.expect(']');
        value = member(value, index);
      } else return value;
    }
  }

  private primary(): Value {
    const next = this.text[this.position];
    if (next === "'") return this.string();
    if (/[-\d]/.test(next ?? '')) {
      const match = /^-?\d+(\.\d+)?/.exec(this.text.slice(this.position));
      this.position += match?.[0].length ?? 0;
      return Number(match?.[0]);
    }
    const name = this.identifier();
    this.space();
    this.expect('(');
    const args: Value[] = [];
    this.space();
    if (this.text[this.position] !== ')') {
      for (;;) {
        args.push(this.expression());
        this.space();
        if (this.text[this.position] === ',') {
          this.position++;
          continue;
        }
        break;
      }
    }
    this.expect(')');
    return call(name, args);
  }

  private string(): string {
    this.expect("'");
    let out = '';
    for (;;) {
      const char = this.text[this.position++];
      if (char === undefined) throw new Error('unterminated string');
      if (char === "'") {
        if (this.text[this.position] === "'") {
          out += "'";
          this.position++;
          continue;
        }
        return out;
      }
      out += char;
    }
  }

  private identifier(): string {
    const match = /^[A-Za-z_][\w]*/.exec(this.text.slice(this.position));
    if (!match)
      throw new Error(`identifier expected at ${this.text.slice(this.position, this.position + 20)}`);
    this.position += match[0].length;
    return match[0];
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char)
      throw new Error(`${char} expected at ${this.position} in ${this.text}`);
    this.position++;
  }
}

function text(value: Value): string {
  if (value instanceof RunTimeValue) return value.toString();
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_key, item: unknown) =>
    item instanceof RunTimeValue ? item.toString() : item,
  );
}

function member(value: Value, key: Value): Value {
  if (value instanceof ReferenceResult) return new RunTimeValue(String(key));
  if (value instanceof RunTimeValue) return new RunTimeValue(`${value.property}.${String(key)}`);
  if (Array.isArray(value) || (value && typeof value === 'object'))
    return (value as Record<string, unknown>)[String(key)];
  if (typeof value === 'string' && typeof key === 'number') return value[key];
  throw new Error(`cannot read ${String(key)} of ${text(value)}`);
}

class ReferenceResult {}

function call(name: string, args: Value[]): Value {
  switch (name.toLowerCase()) {
    case 'reference':
      return new ReferenceResult();
    case 'createobject': {
      const object: Record<string, unknown> = {};
      for (let i = 0; i < args.length; i += 2) object[text(args[i])] = args[i + 1];
      return object;
    }
    case 'createarray':
      return args;
    case 'string':
      return text(args[0]);
    case 'format':
      return text(args[0]).replace(/\{(\d+)\}/g, (_m, index: string) => text(args[Number(index) + 1]));
    case 'concat':
      return args.every((arg) => Array.isArray(arg)) ? args.flat() : args.map(text).join('');
    case 'split':
      return text(args[0]).split(text(args[1]));
    case 'tolower':
      return text(args[0]).toLowerCase();
    case 'json':
      return JSON.parse(text(args[0]));
    default:
      throw new Error(`ARM function ${name} is not evaluated here`);
  }
}

/** A snapshot value with its remaining `[...]` expressions evaluated (objects and arrays recursively). */
export function evaluate(value: Value): Value {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']')) {
      const result = new Parser(value.slice(1, -1)).parse();
      return result instanceof RunTimeValue ? result.toString() : result;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map(evaluate);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluate(item)]));
  return value;
}

/** App settings as the app would see them: every value a string. */
export function evaluatedSettings(settings: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, text(evaluate(value))]));
}
