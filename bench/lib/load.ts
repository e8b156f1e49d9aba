/** Load generators outside the stack's event loop: an open loop on a worker thread, autocannon in a child. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LoadPlan, Submission } from './load-worker.js';

export type { LoadPlan, Submission } from './load-worker.js';

export function offerLoad(plan: LoadPlan): Promise<Submission[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: plan });
    worker.once('message', (message: { submissions?: Submission[]; error?: string }) => {
      if (message.submissions) resolve(message.submissions);
      else reject(new Error(message.error ?? 'load worker failed'));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

export interface AutocannonPlan {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface AutocannonOutcome {
  /** 2xx answers per second. */
  readonly requestsPerSecond: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
}

/** The fields of autocannon's documented `--json` result used here. */
interface AutocannonJson {
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
  readonly '2xx': number;
}

/**
 * autocannon's CLI in a child process at a fixed concurrency: the load is generated outside the
 * process under test (inside a worker thread autocannon skips aggregating its results).
 */
export function runAutocannon(plan: AutocannonPlan): Promise<AutocannonOutcome> {
  const cli = createRequire(import.meta.url).resolve('autocannon');
  const args = [
    cli,
    '--json',
    '-c',
    String(plan.connections),
    '-d',
    String(plan.durationSeconds),
    '-m',
    'POST',
  ];
  for (const [name, value] of Object.entries(plan.headers)) args.push('-H', `${name}=${value}`);
  args.push('-b', plan.body, plan.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const result = JSON.parse(out) as AutocannonJson;
        resolve({
          requestsPerSecond: result['2xx'] / result.duration,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          latencyP50: result.latency.p50,
          latencyP99: result.latency.p99,
        });
      } catch {
        reject(new Error(`autocannon exited ${code}: ${err.slice(0, 500)}`));
      }
    });
  });
}
