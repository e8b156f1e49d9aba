/**
 * Start-up: the time to import the function registrations (dist/functions/index.js, what the
 * Functions host loads on a cold start), in a fresh Node process each time, median of several runs.
 * The entry registers from a manifest and leaves the handler modules (zod, shared/, the routes) to a
 * background preload that starts once the import has returned, so the import should cost little more than
 * the `@azure/functions` library it registers with: that library alone, loaded the way the entry loads it,
 * is the baseline, measured alternately in the same run.
 *
 * The moved cost is shown, not hidden: a second row times, in the same process, from the start of the
 * import until the preload has loaded every handler module (ready to serve a first invocation without
 * loading code). In the Functions host that preload overlaps the host's own start-up; here nothing else
 * runs, so the row is import + preload back to back, an upper bound for a single-threaded worker.
 *
 * The library is given a stand-in for the worker's core API (below), so the registrations run as in the
 * host instead of being skipped in the library's "test mode".
 *
 *   npm run build && node dist/bench/startup.js
 * Environment: BENCH_STARTUP_RUNS (9).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './lib/stats.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline } from './lib/rows.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ENTRY = pathToFileURL(fileURLToPath(new URL('../functions/index.js', import.meta.url))).href;

interface Timing {
  /** From just before `import()` until it resolved. */
  readonly importMs: number;
  /** From just before `import()` until every handler module was loaded (entry only). */
  readonly readyMs?: number;
  /** From process start (performance.timeOrigin) until ready, Node's own boot included (entry only). */
  readonly processReadyMs?: number;
  /** Functions registered with the (stand-in) core API by the time the import returned (entry only). */
  readonly registeredAtImport?: number;
}

/** Runs an ES module script in a fresh Node process (with `env` added); resolves with its stdout. */
export function runScript(script: string, env: Readonly<Record<string, string>> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`benchmark child failed (exit ${code}): ${out.slice(0, 200)}`));
    });
  });
}

/**
 * Loads the library alone in a fresh process, either the way the entry loads it (functions/azure-functions.ts:
 * `require` through createRequire, the baseline) or with an ESM `import`, which also scans the CommonJS
 * bundle for export names and costs more (shown in the details, for comparison with earlier runs).
 */
async function timeLibrary(how: 'require' | 'import'): Promise<number> {
  const load =
    how === 'require'
      ? `(await import('node:module')).createRequire(${JSON.stringify(ENTRY)})('@azure/functions')`
      : `await import('@azure/functions')`;
  const out = await runScript(
    `const t = performance.now(); ${load}; process.stdout.write(JSON.stringify({ importMs: performance.now() - t }));`,
  );
  return (JSON.parse(out) as Timing).importMs;
}

/**
 * Stands in for the Functions worker's core API, which the worker hands to `@azure/functions` by answering
 * `require('@azure/functions-core')` (it patches Module.prototype.require the same way). With it the
 * library leaves test mode and really builds each function's metadata and registers it, so that work is
 * timed as in the host. Only the patch is installed before the clock starts; the library loads inside.
 */
export const CORE_STAND_IN = `
  const { default: Module } = await import('node:module');
  globalThis.registered = [];
  const core = {
    setProgrammingModel() {},
    registerFunction(metadata) { globalThis.registered.push(metadata.name); return { dispose() {} }; },
    registerHook() { return { dispose() {} }; },
    log() {},
  };
  const originalRequire = Module.prototype.require;
  Module.prototype.require = function (id) {
    return id === '@azure/functions-core' ? core : originalRequire.apply(this, arguments);
  };`;

/**
 * Imports the entry in a fresh process, then waits for its preload; fails if nothing was registered during
 * the import or any group failed to load.
 */
async function timeEntry(): Promise<Timing> {
  const script = `${CORE_STAND_IN}
    const t = performance.now();
    const entry = await import(${JSON.stringify(ENTRY)});
    const importMs = performance.now() - t;
    const registeredAtImport = globalThis.registered.length;
    const report = await entry.handlersPreloaded;
    const readyMs = performance.now() - t;
    const processReadyMs = performance.now();
    if (registeredAtImport === 0) throw new Error('no function registered during the import');
    if (report.failed.length > 0) throw new Error('preload failed: ' + report.failed.map((f) => f.group).join(', '));
    process.stdout.write(JSON.stringify({ importMs, readyMs, processReadyMs, registeredAtImport }));`;
  return JSON.parse(await runScript(script)) as Timing;
}

/**
 * Which npm packages (and how many of our own dist files) are loaded, to say where the time goes: ES
 * modules are seen by a loader hook (module.register), CommonJS ones in the require cache afterwards.
 * `afterPreload` waits for the background preload first; otherwise the process exits right after the import.
 */
function loadedModules(afterPreload: boolean): Promise<{ packages: Record<string, number>; own: number }> {
  const hook = `data:text/javascript,${encodeURIComponent(
    "import { writeSync } from 'node:fs'; export async function load(url, context, next) { writeSync(2, 'LOAD ' + url + '\\n'); return next(url, context); }",
  )}`;
  const script = `
    const { register, createRequire } = await import('node:module');
    register(${JSON.stringify(hook)});
    const entry = await import(${JSON.stringify(ENTRY)});
    ${afterPreload ? 'await entry.handlersPreloaded;' : ''}
    for (const key of Object.keys(createRequire(import.meta.url).cache)) process.stderr.write('LOAD ' + key + '\\n');
    // Without this the preload would run (and be counted) after the script ends.
    process.exit(0);`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', () => {
      const packages: Record<string, number> = {};
      let own = 0;
      for (const line of err.split('\n')) {
        const match = /^LOAD .*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
        if (match?.[1]) packages[match[1]] = (packages[match[1]] ?? 0) + 1;
        else if (/^LOAD file:.*\/dist\/(functions|shared)\//.test(line)) own += 1;
      }
      resolve({ packages, own });
    });
  });
}

function describeLoaded(loaded: { packages: Record<string, number>; own: number }): string {
  const packages = Object.entries(loaded.packages).sort((a, b) => b[1] - a[1]);
  const list = packages.map(([name, files]) => `${name} (${files})`).join(', ') || '(none)';
  return `${list}; our own functions/ + shared/ modules: ${loaded.own}`;
}

export async function runStartupBenchmark(options: { runs?: number } = {}): Promise<PartResult> {
  const runs = options.runs ?? (Number(process.env.BENCH_STARTUP_RUNS) || 9);
  const ours: Timing[] = [];
  const library: number[] = [];
  const libraryByImport: number[] = [];
  // Alternate, so that a noisy neighbour slows every series alike.
  for (let run = 0; run < runs; run += 1) {
    ours.push(await timeEntry());
    library.push(await timeLibrary('require'));
    libraryByImport.push(await timeLibrary('import'));
  }
  const imports = ours.map((timing) => timing.importMs);
  const ready = ours.map((timing) => timing.readyMs ?? Number.NaN);
  const processReady = ours.map((timing) => timing.processReadyMs ?? Number.NaN);
  const value = median(imports);
  const baseline = median(library);
  const atImport = await loadedModules(false);
  const atReady = await loadedModules(true);
  const ms = (values: readonly number[]): string => values.map((v) => round(v, 0)).join(', ');
  return {
    rows: [
      withBaseline(
        {
          part: 'start-up',
          metric: `import dist/functions/index.js, fresh process (median of ${runs}; min ${round(Math.min(...imports), 0)})`,
          value: round(value, 0),
          unit: 'ms',
          target: '< 150 ms',
          met: value < 150,
        },
        'load @azure/functions alone, as the entry does',
        round(baseline, 0),
      ),
      withBaseline(
        {
          part: 'start-up',
          metric: `import + background preload of every handler module, same process (median of ${runs})`,
          value: round(median(ready), 0),
          unit: 'ms',
          note: 'The cost moved out of the import: handlers are ready to serve without loading code.',
        },
        'load @azure/functions alone, as the entry does',
        round(baseline, 0),
      ),
    ],
    details: [
      '### Start-up: what the import loads, and what the preload adds',
      '',
      `Functions registered during the import: ${ours[0]?.registeredAtImport ?? 0}.`,
      '',
      `Runs (ms), import: ${ms(imports)}; import + preload: ${ms(ready)}; process start to ready (Node boot included): ${ms(processReady)} (median ${round(median(processReady), 0)}); @azure/functions alone, as the entry loads it (require): ${ms(library)}; by ESM import instead: ${ms(libraryByImport)} (median ${round(median(libraryByImport), 0)}).`,
      '',
      `Loaded by the import: ${describeLoaded(atImport)}.`,
      `Loaded once the preload is done: ${describeLoaded(atReady)}.`,
      '',
      'The Functions host indexes the functions registered during the import; the preload starts after the import returns (setImmediate) and overlaps the host starting its listeners. An invocation that arrives before its module is loaded waits for that import (memoised), it does not start another.',
    ].join('\n'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runStartupBenchmark());
}
