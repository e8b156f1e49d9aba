/**
 * `npm run chaos`: the full chaos run (1,000 jobs by default) with its counts printed.
 *   npm run chaos -- --jobs 500 --seed 7
 * Exits 1 when a check fails. Environment: CHAOS_JOBS, CHAOS_SEED, CHAOS_RATE (submissions/s).
 */
import { formatResult, runChaos } from './run.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const raw = index >= 0 ? process.argv[index + 1] : process.env[`CHAOS_${name.toUpperCase()}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const result = await runChaos({
  jobs: option('jobs', 1_000),
  seed: option('seed', Date.now() % 100_000),
  rate: option('rate', 20),
  settleBoundMs: 90_000,
  log: (line) => console.log(`[chaos] ${line}`),
});
for (const line of formatResult(result)) console.log(line);
process.exitCode = result.checks.every((check) => check.passed) ? 0 : 1;
