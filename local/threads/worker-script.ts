/**
 * Starts a worker thread on one of this folder's entry points, from dist (compiled JavaScript) or from
 * the TypeScript sources. Sources only run under vitest (tests); Node.js 20 cannot run .ts by itself,
 * so there the worker first registers source-hooks.ts, which transpiles each module with the same
 * transformer vitest uses for the test process (rolldown's, found through vitest -> vite -> rolldown).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { TransformSync } from './source-hooks.js';

const fromSources = import.meta.url.endsWith('.ts');

/** `name` without extension, e.g. 'emulator-worker'. */
export async function startWorker(name: string, options: WorkerOptions): Promise<Worker> {
  if (!fromSources) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const { hooks, transformer } = await sourceHooks();
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  // eval: a CommonJS script, so no top-level await; the hooks apply to every import after register().
  const bootstrap = `
    import('node:module')
      .then(({ register }) => register(${JSON.stringify(hooks)}, { data: { transformer: ${JSON.stringify(transformer)} } }))
      .then(() => import(${JSON.stringify(entry)}))
      .catch((error) => process.nextTick(() => { throw error; }));`;
  return new Worker(bootstrap, { ...options, eval: true });
}

let prepared: Promise<{ hooks: string; transformer: string }> | undefined;

function sourceHooks(): Promise<{ hooks: string; transformer: string }> {
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
