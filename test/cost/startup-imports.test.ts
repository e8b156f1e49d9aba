/**
 * Start-up cost guard (issue 8): the Functions host imports the registrations (functions/index.ts) on
 * every cold start, and clients are created lazily, so that import must not load the Azure SDKs, the
 * openai SDK or ajv. bench/startup.ts measures the time; this test follows the static import graph of
 * the sources (value imports only: `import type` is erased, dynamic `import()` is lazy) and fails when
 * a heavy package becomes reachable, which is deterministic where a timing is not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = resolve(ROOT, 'functions/index.ts');

/** Packages the registrations may load at import: the host library, the schemas, Node itself. */
const ALLOWED_AT_IMPORT = new Set(['@azure/functions', 'zod']);

/** Module specifiers that a file loads when it is imported (static, value imports and re-exports). */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      // With verbatimModuleSyntax only a top-level `import type` is erased; `import { type X }` stays.
      if (statement.importClause?.isTypeOnly) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      if (statement.isTypeOnly) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

/** Relative `.js` specifiers name the `.ts` source next to the importer. */
function sourceFileFor(importer: string, specifier: string): string | undefined {
  const base = resolve(dirname(importer), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, resolve(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
    if (candidate.endsWith('.json') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Every npm package reachable from the entry through static value imports, with one path to each. */
function reachablePackages(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue: Array<{ file: string; path: string[] }> = [{ file: entry, path: [] }];
  while (queue.length > 0) {
    const { file, path } = queue.shift()!;
    if (seen.has(file) || file.endsWith('.json')) continue;
    seen.add(file);
    const here = [...path, file.slice(ROOT.length + 1)];
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) {
        const next = sourceFileFor(file, specifier);
        if (next) queue.push({ file: next, path: here });
      } else if (!specifier.startsWith('node:')) {
        const name = packageOf(specifier);
        if (!packages.has(name)) packages.set(name, here);
      }
    }
  }
  return packages;
}

describe('importing the function registrations', () => {
  const packages = reachablePackages(ENTRY);

  it('follows the graph (sanity: it reaches the host library and the stages)', () => {
    expect(packages.has('@azure/functions')).toBe(true);
    expect(packages.has('zod')).toBe(true);
  });

  it('loads no SDK, model client or validator: they load with the first invocation that needs them', () => {
    const heavy = [...packages.entries()]
      .filter(([name]) => !ALLOWED_AT_IMPORT.has(name))
      .map(([name, path]) => `${name} via ${path.join(' -> ')}`);
    expect(heavy).toEqual([]);
  });
});
