/**
 * Start-up cost guard: the Functions host imports the registrations (functions/index.ts) on
 * every cold start. That import must load only the host library and the manifest: no zod, none of shared/,
 * no route or queue handler module; those load in a background preload after the import, or on first use.
 * bench/startup.ts measures the time; these tests check what loads, which is deterministic where a timing
 * is not, in two ways:
 * - statically: the import graph of the sources (value imports only: `import type` is erased, dynamic
 *   `import()` is lazy), which names the path to any offender;
 * - at run time: the sources transpiled as they are, loaded by a plain Node process with a loader hook
 *   that records every module (and the require cache for CommonJS ones), and the library's core API answered the way the Functions worker answers
 *   it, so the registrations the host would index are recorded too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionManifest, HANDLER_GROUPS } from '../../functions/manifest.js';
import { runEntryProbe, type ProbeResult } from '../startup/entry-probe.js';
import { ROOT, transpileApp, type TranspiledApp } from '../startup/transpiled-app.js';

const ENTRY = resolve(ROOT, 'functions/index.ts');

/** Packages the registrations may load at import: the host library, Node itself. */
const ALLOWED_AT_IMPORT = new Set(['@azure/functions']);

/** `require` or `createRequire(...)`, the callee of a CommonJS load. */
function isRequire(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'require';
  return (
    ts.isCallExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'createRequire'
  );
}

/** Module specifiers that a file loads: static value imports, re-exports and top-level requires (eager), and `import()`s (lazy). */
function importsOf(file: string): { eager: string[]; lazy: string[] } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const eager: string[] = [];
  const lazy: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      // With verbatimModuleSyntax only a top-level `import type` is erased; `import { type X }` stays.
      if (statement.importClause?.isTypeOnly) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) eager.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      if (statement.isTypeOnly) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) eager.push(statement.moduleSpecifier.text);
    }
  }
  // `import()` anywhere, and `require()` inside a function, load when called: lazy. A `require()` that
  // runs at module top level (createRequire(import.meta.url)('pkg')) loads with the module: eager.
  const visit = (node: ts.Node, inFunction: boolean): void => {
    if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      const specifier = node.arguments[0].text;
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) lazy.push(specifier);
      else if (isRequire(node.expression)) (inFunction ? lazy : eager).push(specifier);
    }
    ts.forEachChild(node, (child) => visit(child, inFunction || ts.isFunctionLike(node)));
  };
  visit(source, false);
  return { eager, lazy };
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

interface Reach {
  /** npm packages, with one import path to each. */
  readonly packages: Map<string, string[]>;
  /** Our own source files, relative to the repository root. */
  readonly files: Set<string>;
}

/** What the entry reaches through static value imports, or through dynamic `import()` as well. */
function reachable(entry: string, followLazy: boolean): Reach {
  const packages = new Map<string, string[]>();
  const files = new Set<string>();
  const queue: Array<{ file: string; path: string[] }> = [{ file: entry, path: [] }];
  while (queue.length > 0) {
    const { file, path } = queue.shift()!;
    const name = file.slice(ROOT.length + 1);
    if (files.has(name) || file.endsWith('.json')) continue;
    files.add(name);
    const here = [...path, name];
    const { eager, lazy } = importsOf(file);
    for (const specifier of followLazy ? [...eager, ...lazy] : eager) {
      if (specifier.startsWith('.')) {
        const next = sourceFileFor(file, specifier);
        if (next) queue.push({ file: next, path: here });
      } else if (!specifier.startsWith('node:')) {
        const pkg = packageOf(specifier);
        if (!packages.has(pkg)) packages.set(pkg, here);
      }
    }
  }
  return { packages, files };
}

/**
 * The queue triggers' adapter to the host (trigger metadata converter, handler wrapper, dead-letter error):
 * the entry needs it to register a queue function, and it imports only types and its own files, so it may
 * load at import. The walk checks what it imports like any other file, and the tests pin the list.
 */
const QUEUE_ADAPTER = [
  'functions/queue/dead-letter-requested.ts',
  'functions/queue/from-service-bus-trigger.ts',
  'functions/queue/to-service-bus-handler.ts',
];

/** Handler code: the domain, the route and queue modules, the composition root. */
const isHandlerCode = (file: string): boolean =>
  !QUEUE_ADAPTER.includes(file) &&
  /^(shared\/|functions\/(http|queue|webhooks)\/|functions\/(services|composition|admission)\.ts$)/.test(
    file,
  );

describe('the static import graph of the registrations', () => {
  const atImport = reachable(ENTRY, false);
  const withLazy = reachable(ENTRY, true);

  it('reaches the host library and nothing else: no zod, no SDK, no model client, no validator', () => {
    expect(atImport.packages.has('@azure/functions')).toBe(true);
    const extra = [...atImport.packages.entries()]
      .filter(([name]) => !ALLOWED_AT_IMPORT.has(name))
      .map(([name, path]) => `${name} via ${path.join(' -> ')}`);
    expect(extra).toEqual([]);
  });

  it('reaches none of shared/ and no route or queue handler module, only the queue adapter', () => {
    expect([...atImport.files].filter(isHandlerCode)).toEqual([]);
    expect([...atImport.files]).toContain('functions/manifest.ts');
    expect([...atImport.files].filter((file) => file.startsWith('functions/queue/')).sort()).toEqual(
      QUEUE_ADAPTER,
    );
  });

  it('reaches every handler group, zod and shared/ only through the lazy imports (sanity: the walk works)', () => {
    expect(withLazy.packages.has('zod')).toBe(true);
    expect([...withLazy.files].some((file) => file.startsWith('shared/'))).toBe(true);
    for (const file of [
      'functions/http/health.ts',
      'functions/http/jobs.ts',
      'functions/queue/stages.ts',
      'functions/queue/deliver.ts',
    ]) {
      expect(withLazy.files, file).toContain(file);
    }
  });
});

describe('loading the registrations in a real Node process', () => {
  let app: TranspiledApp;
  let result: ProbeResult;

  beforeAll(() => {
    app = transpileApp();
    result = runEntryProbe(app);
  });

  afterAll(() => app?.remove());

  const isZod = (url: string): boolean => url.includes('/node_modules/zod/');
  const ownCode = (url: string): string | undefined =>
    /^(shared|functions)\//.test(url) ? url.replace(/\.js$/, '.ts') : undefined;

  it('registers every function synchronously, during the import (the v4 model indexes them then)', () => {
    expect(result.atImport).toBe(functionManifest.length);
    const expected = functionManifest.map((entry) =>
      entry.kind === 'http'
        ? { name: entry.name, type: 'httpTrigger', route: entry.route, methods: [...entry.methods] }
        : entry.kind === 'timer'
          ? { name: entry.name, type: 'timerTrigger', schedule: entry.schedule }
          : {
              name: entry.name,
              type: 'serviceBusTrigger',
              queueName: entry.queueName,
              connection: 'ServiceBusConnection',
            },
    );
    expect(
      result.registrations.map(({ callback: _callback, ...registration }) =>
        Object.fromEntries(Object.entries(registration).filter(([, value]) => value !== undefined)),
      ),
    ).toEqual(expected);
    expect(new Set(result.registrations.map((registration) => registration.callback))).toEqual(
      new Set(['function']),
    );
  });

  it('loads neither zod nor any handler code by the time the import returns', () => {
    expect(result.beforeImport.some((url) => url.includes('/node_modules/@azure/functions/'))).toBe(true);
    expect(result.beforeImport.filter(isZod)).toEqual([]);
    const own = result.beforeImport.map(ownCode).filter((file): file is string => file !== undefined);
    expect(own).toContain('functions/index.ts');
    expect(own.filter(isHandlerCode)).toEqual([]);
    expect(own.filter((file) => file.startsWith('functions/queue/')).sort()).toEqual(QUEUE_ADAPTER);
  });

  it('has loaded zod, shared/ and every handler group once the background preload is done', () => {
    expect(result.failed).toEqual([]);
    expect(result.loaded.sort()).toEqual([...HANDLER_GROUPS].sort());
    expect(result.byPreload.some(isZod)).toBe(true);
    const own = result.byPreload.map(ownCode).filter((file): file is string => file !== undefined);
    expect(own.some((file) => file.startsWith('shared/'))).toBe(true);
    for (const file of ['functions/http/jobs.ts', 'functions/queue/intake.ts', 'functions/queue/stages.ts']) {
      expect(own, file).toContain(file);
    }
  });
});
