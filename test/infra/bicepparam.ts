/**
 * A small reader for .bicepparam files. tree-sitter-bicep 1.1.0 reports false errors on `using` and on
 * `param x = value`, so parameter files are read line by line instead: the `using` target, and each
 * assigned parameter with its value text (multi-line values continue until the next statement).
 */
import { readFileSync } from 'node:fs';

export interface ParamFile {
  readonly path: string;
  readonly using: string | undefined;
  /** Parameter name → the value's source text. */
  readonly assignments: ReadonlyMap<string, string>;
  /** Names assigned more than once. */
  readonly duplicates: readonly string[];
}

const USING = /^using\s+'([^']+)'\s*$/;
const PARAM = /^param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

export function parseBicepParam(source: string, path = '<inline>'): ParamFile {
  let using: string | undefined;
  const assignments = new Map<string, string>();
  const duplicates: string[] = [];
  let current: string | undefined;
  for (const rawLine of source.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (line.trimStart().startsWith('//') || line.trim() === '') continue;
    const usingMatch = USING.exec(line);
    if (usingMatch) {
      using = usingMatch[1];
      current = undefined;
      continue;
    }
    const paramMatch = PARAM.exec(line);
    if (paramMatch) {
      const [, name = '', value = ''] = paramMatch;
      if (assignments.has(name)) duplicates.push(name);
      assignments.set(name, value.trim());
      current = name;
      continue;
    }
    if (current && (/^\s/.test(line) || /^[\]}]/.test(line))) {
      assignments.set(current, `${assignments.get(current) ?? ''}\n${line}`);
      continue;
    }
    throw new Error(`${path}: unexpected line ${JSON.stringify(line)}`);
  }
  return { path, using, assignments, duplicates };
}

export function readBicepParam(path: string): ParamFile {
  return parseBicepParam(readFileSync(path, 'utf8'), path);
}

/** The literal of a single-quoted string value, else undefined (expressions, numbers, objects). */
export function stringValue(value: string): string | undefined {
  const match = /^'((?:[^'\\]|\\.)*)'$/.exec(value.trim());
  return match?.[1];
}
