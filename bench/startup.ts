/**
 * Start-up (issue 8): the time to import the function registrations (dist/functions/index.js, what the
 * Functions host loads on a cold start), in a fresh Node process each time, median of several runs.
 * Clients are created lazily (functions/services.ts), so the import should cost little more than the
 * `@azure/functions` library it registers with, which is the baseline, measured alternately in the same
 * run. Outside the Functions host the library runs in "test mode" and skips the registration calls
 * themselves; those are cheap (they record a name and options).
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
const ENTRY = pathToFileURL(fileURLToPath(new URL('../functions/index.js', import.meta.url))).href;

/** Imports `specifier` in a fresh process and returns the milliseconds the import took. */
function timeImport(specifier: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`importing ${specifier} failed (exit ${code}): ${out.slice(0, 200)}`));
    });
  });
}

/**
 * Which npm packages the import pulls in eagerly, to say where the time goes: ES modules are seen by a
 * loader hook (module.register), CommonJS ones in the require cache afterwards.
 */
function eagerPackages(): Promise<Record<string, number>> {
  const hook = `data:text/javascript,${encodeURIComponent(
    "import { writeSync } from 'node:fs'; export async function load(url, context, next) { writeSync(2, 'LOAD ' + url + '\\n'); return next(url, context); }",
  )}`;
  const script = `
    const { register, createRequire } = await import('node:module');
    register(${JSON.stringify(hook)});
    await import(${JSON.stringify(ENTRY)});
    for (const key of Object.keys(createRequire(import.meta.url).cache)) process.stderr.write('LOAD ' + key + '\\n');`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', () => {
      const files: Record<string, number> = {};
      for (const line of err.split('\n')) {
        const match = /^LOAD .*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
        if (match?.[1]) files[match[1]] = (files[match[1]] ?? 0) + 1;
      }
      resolve(files);
    });
  });
}

export async function runStartupBenchmark(options: { runs?: number } = {}): Promise<PartResult> {
  const runs = options.runs ?? (Number(process.env.BENCH_STARTUP_RUNS) || 9);
  const ours: number[] = [];
  const library: number[] = [];
  // Alternate, so that a noisy neighbour slows both series alike.
  for (let run = 0; run < runs; run += 1) {
    ours.push(await timeImport(ENTRY));
    library.push(await timeImport('@azure/functions'));
  }
  const value = median(ours);
  const baseline = median(library);
  const packages = Object.entries(await eagerPackages()).sort((a, b) => b[1] - a[1]);
  return {
    rows: [
      withBaseline(
        {
          part: 'start-up',
          metric: `import dist/functions/index.js, fresh process (median of ${runs}; min ${round(Math.min(...ours), 0)})`,
          value: round(value, 0),
          unit: 'ms',
          target: '< 150 ms',
          met: value < 150,
        },
        'import @azure/functions alone',
        round(baseline, 0),
      ),
    ],
    details: [
      '### Start-up: what the import loads',
      '',
      `Runs (ms), registrations: ${ours.map((ms) => round(ms, 0)).join(', ')}; @azure/functions alone: ${library.map((ms) => round(ms, 0)).join(', ')}.`,
      `Packages loaded by the import (files): ${packages.map(([name, files]) => `${name} (${files})`).join(', ') || '(none)'}.`,
    ].join('\n'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runStartupBenchmark());
}
