/**
 * Running a worker thread on this project's TypeScript sources, for when the code itself runs from
 * sources: vitest runs the tests on them, and Node.js 20 cannot strip types. The worker registers
 * source-hooks.ts first, which transpiles each module with the transformer the test process itself uses
 * (rolldown's, found through vitest -> vite -> rolldown). From dist none of this is used.
 */
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TransformSync } from './source-hooks.js';

export interface SourceHooks {
  /** source-hooks.ts, transpiled, as a data: URL for `module.register`. */
  readonly hooks: string;
  /** The file URL of rolldown's `rolldown/utils`, passed to the hooks' `initialize`. */
  readonly transformer: string;
}

/** True when the calling module was loaded from a .ts file (tests), false from dist. */
export function runningFromSources(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.ts');
}

let prepared: Promise<SourceHooks> | undefined;

export function sourceHooks(): Promise<SourceHooks> {
  prepared ??= (async () => {
    const fromVitest = createRequire(createRequire(import.meta.url).resolve('vitest'));
    const transformerPath = createRequire(fromVitest.resolve('vite')).resolve('rolldown/utils');
    const transformer = pathToFileURL(transformerPath).href;
    const { transformSync } = (await import(transformer)) as { transformSync: TransformSync };
    const file = new URL('./source-hooks.ts', import.meta.url);
    const { code, errors } = transformSync(file.pathname, await readFile(file, 'utf8'), {
      lang: 'ts',
      sourceType: 'module',
    });
    if (errors.length > 0) throw new Error(`source-hooks.ts: ${errors.map((e) => e.message).join('; ')}`);
    return { hooks: `data:text/javascript,${encodeURIComponent(code)}`, transformer };
  })();
  return prepared;
}

/**
 * A JavaScript module file that registers the hooks and re-exports the default export of `entry` (a .ts
 * file URL). For worker pools that take a file name and load it with plain Node.js (piscina).
 */
export function sourceEntryFile(entry: URL): Promise<string> {
  let file = entryFiles.get(entry.href);
  if (!file) {
    file = writeEntryFile(entry);
    entryFiles.set(entry.href, file);
  }
  return file;
}

const entryFiles = new Map<string, Promise<string>>();

async function writeEntryFile(entry: URL): Promise<string> {
  const { hooks, transformer } = await sourceHooks();
  const code = [
    `import { register } from 'node:module';`,
    `register(${JSON.stringify(hooks)}, { data: { transformer: ${JSON.stringify(transformer)} } });`,
    `const loaded = await import(${JSON.stringify(entry.href)});`,
    `export default loaded.default;`,
  ].join('\n');
  const file = join(await mkdtemp(join(tmpdir(), 'pp-worker-')), 'entry.mjs');
  await writeFile(file, code);
  return file;
}
