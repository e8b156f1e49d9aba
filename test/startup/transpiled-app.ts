/**
 * The app's functions/ and shared/ sources, transpiled file by file into a temporary directory, so a test
 * can load the entry in a plain Node process (real ESM loader, real package resolution) the way the
 * Functions host does, without a build and without touching dist/. Type-only imports are erased exactly
 * as tsc erases them (verbatimModuleSyntax), which is what decides what loads at run time.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

export interface TranspiledApp {
  /** The temporary directory: functions/ and shared/ as .js, a package.json and node_modules. */
  readonly dir: string;
  remove(): void;
}

export function transpileApp(): TranspiledApp {
  const dir = mkdtempSync(join(tmpdir(), 'startup-app-'));
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    // ES modules as tsc emits them for this "type": "module" project (NodeNext would need the package
    // scope, which a single-file transpile does not see, and would fall back to CommonJS).
    module: ts.ModuleKind.ES2022,
    verbatimModuleSyntax: true,
    isolatedModules: true,
  };
  for (const file of [...sources(join(ROOT, 'functions')), ...sources(join(ROOT, 'shared'))]) {
    const out = join(dir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions,
      fileName: file,
    });
    writeFileSync(out, outputText);
  }
  // ESM like the project, and the project's installed packages, as the host would resolve them.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
