/**
 * Starts a worker thread on one of this folder's entry points, from dist (compiled JavaScript) or from
 * the TypeScript sources. Sources only run under vitest (tests); there the worker first registers the
 * source hooks of shared/threads/from-sources.ts.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { runningFromSources, sourceHooks } from '../../shared/threads/from-sources.js';

const fromSources = runningFromSources(import.meta.url);

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
