/**
 * Node.js module hooks that let a worker thread run this project's TypeScript sources, for when the
 * code runs from sources rather than dist: vitest runs the tests on the sources, and Node.js 20 cannot
 * strip types. Each `.ts` module is transpiled on load with the transformer the test process itself
 * uses (vite's oxc transform, from rolldown); NodeNext imports name `./x.js`, which resolves to `./x.ts`
 * when only the source exists. Never used from dist. from-sources.ts transpiles this file and
 * registers it as a data: URL, so it imports only node: built-ins and what `initialize` is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The part of rolldown's `transformSync` (rolldown/utils) used here. */
export type TransformSync = (
  filename: string,
  sourceText: string,
  options: { lang: 'ts'; sourceType: 'module' },
) => { code: string; errors: readonly Error[] };

interface ResolveContext {
  readonly parentURL?: string;
}
interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}
interface LoadResult {
  readonly format: string;
  readonly source?: string | ArrayBuffer | Uint8Array | null;
  readonly shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<ResolveResult>;
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

let transformSync: TransformSync | undefined;

/** `data.transformer`: the file URL of rolldown's `rolldown/utils` module. */
export async function initialize(data: { transformer: string }): Promise<void> {
  const loaded = (await import(data.transformer)) as { transformSync: TransformSync };
  transformSync = loaded.transformSync;
}

export function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  const parent = context.parentURL;
  if (parent?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const source = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (!existsSync(new URL(specifier, parent)) && existsSync(source)) {
      return Promise.resolve({ url: source.href, format: 'module', shortCircuit: true });
    }
  }
  return nextResolve(specifier, context);
}

export function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  if (!transformSync) throw new Error('source-hooks: initialize() was not called');
  const fileName = fileURLToPath(url);
  const { code, errors } = transformSync(fileName, readFileSync(fileName, 'utf8'), {
    lang: 'ts',
    sourceType: 'module',
  });
  if (errors.length > 0) throw new Error(`${fileName}: ${errors.map((e) => e.message).join('; ')}`);
  return Promise.resolve({ format: 'module', source: code, shortCircuit: true });
}
