/**
 * Fairness benchmark: two tenants of equal weight on one saturated simulated deployment, one sending
 * ten times the other, through our model client (tenant load harness: bench/lib/tenant-load.ts).
 *
 * 1. The light tenant alone at a quarter of the quota: its median queue wait (submission to the start of
 *    the call that answered it).
 * 2. The same light tenant next to a heavy one at 2.5x the quota: its median wait must stay within 2x
 *    of (1); the heavy tenant gets the capacity the light one leaves.
 * 3. Both backlogged (light at 0.6x, heavy at 6x the quota): each tenant's accepted tokens over the
 *    measured windows must be within 10% of its fair share (half).
 *
 *   npm run build && node dist/bench/fairness.js     (or: node dist/bench/part-runner.js fairness)
 * Environment: BENCH_FAIR_WINDOWS (measured windows after one warm-up window, default 4),
 * BENCH_TENANT_WINDOW_MS (the compressed window, 12000; bench/lib/tenant-load.ts).
 */
import { pathToFileURL } from 'node:url';
import type { PartResult } from './lib/report.js';
import { printPart } from './lib/report.js';
import { round, type BenchRow } from './lib/rows.js';
import {
  DEFAULT_LOAD,
  percentile,
  runTenantLoad,
  tokensOf,
  waitsOf,
  type LoadResult,
  type LoadStream,
} from './lib/tenant-load.js';

const PART = 'fairness';

export async function runFairnessBenchmark(): Promise<PartResult> {
  const windows = Number(process.env.BENCH_FAIR_WINDOWS) || 4;
  const { windowMs } = DEFAULT_LOAD;
  const runMs = (1 + windows) * windowMs;
  const settings = { ...DEFAULT_LOAD, submitMs: runMs, runMs };
  const light = (loadFactor: number): LoadStream => ({ tenantId: 'light', priority: 'standard', loadFactor });
  const heavy = (loadFactor: number): LoadStream => ({ tenantId: 'heavy', priority: 'standard', loadFactor });

  const alone = await runTenantLoad([light(0.25)], settings);
  const flooded = await runTenantLoad([light(0.25), heavy(2.5)], settings);
  const backlogged = await runTenantLoad([light(0.6), heavy(6)], settings);

  // Jobs submitted after the warm-up window: a sliding window starts empty, and a tenant's demand is
  // known only once it has asked for a window (docs/model-layer.md, fairness).
  const measured = (result: LoadResult, tenant: string) =>
    waitsOf(result.jobs, tenant, undefined, result.startedAt + windowMs);
  const median = (result: LoadResult, tenant: string) => percentile(measured(result, tenant), 0.5);
  const aloneMedian = median(alone, 'light');
  const floodedMedian = median(flooded, 'light');
  const from = windowMs;
  const fair = ((settings.tpm * (runMs - from)) / 60_000) * 0.5;
  const lightShare = tokensOf(backlogged, 'light', from, runMs) / fair;
  const heavyShare = tokensOf(backlogged, 'heavy', from, runMs) / fair;
  // The light tenant's part of what the deployment accepted, against an even split (1 = exactly half).
  const split = (2 * lightShare) / Math.max(1e-9, lightShare + heavyShare);
  const used = (result: LoadResult) =>
    (tokensOf(result, 'light', from, runMs) + tokensOf(result, 'heavy', from, runMs)) / (fair * 2);
  const failed = [alone, flooded, backlogged].reduce((n, r) => n + r.jobs.filter((j) => j.failed).length, 0);

  const warmUpWaits = flooded.jobs
    .filter((j) => j.tenantId === 'light' && j.submittedAt < flooded.startedAt + windowMs)
    .flatMap((j) => (j.calledAt === undefined ? [] : [j.calledAt - j.submittedAt]));
  const rows: BenchRow[] = [
    {
      part: PART,
      metric: 'light tenant alone (0.25x quota): median queue wait',
      value: round(aloneMedian, 1),
      unit: 'ms',
    },
    {
      part: PART,
      metric: 'light tenant next to a 10x heavy one (2.5x quota): median queue wait',
      value: round(floodedMedian, 1),
      unit: 'ms',
      baseline: { label: 'light tenant alone', value: round(aloneMedian, 1) },
      ...(aloneMedian > 0 ? { ratio: round(floodedMedian / aloneMedian) } : {}),
      // Waits are read on a 1 ms clock: 0 and 1 ms cannot be told apart.
      target: '<= 2x alone (1 ms clock)',
      met: floodedMedian <= Math.max(2 * aloneMedian, aloneMedian + 1),
    },
    {
      part: PART,
      metric: 'warm-up window (not measured above), next to the heavy one: light tenant median queue wait',
      value: round(percentile(warmUpWaits, 0.5), 1),
      unit: 'ms',
    },
    {
      part: PART,
      metric: 'next to the heavy one: light tenant p95 queue wait',
      value: round(percentile(measured(flooded, 'light'), 0.95), 1),
      unit: 'ms',
    },
    {
      part: PART,
      metric: 'next to the heavy one: quota used by both (accepted tokens / quota x time)',
      value: round(used(flooded) * 100, 1),
      unit: '%',
    },
    {
      part: PART,
      metric: 'both backlogged (0.6x and 6x quota): light tenant tokens / half of the tokens accepted',
      value: round(split * 100, 1),
      unit: '%',
      target: '90-110',
      met: Math.abs(split - 1) <= 0.1,
    },
    {
      part: PART,
      metric: 'both backlogged: heavy tenant tokens / half of the tokens accepted',
      value: round((2 - split) * 100, 1),
      unit: '%',
      target: '90-110',
      met: Math.abs(split - 1) <= 0.1,
    },
    {
      part: PART,
      metric: 'both backlogged: light tenant tokens / half of quota x time',
      value: round(lightShare * 100, 1),
      unit: '%',
    },
    {
      part: PART,
      metric: 'both backlogged: heavy tenant tokens / half of quota x time',
      value: round(heavyShare * 100, 1),
      unit: '%',
    },
    {
      part: PART,
      metric: 'both backlogged: quota used (accepted tokens / quota x time)',
      value: round(used(backlogged) * 100, 1),
      unit: '%',
    },
    {
      part: PART,
      metric: 'failed jobs (all three runs)',
      value: failed,
      unit: 'jobs',
      target: '0',
      met: failed === 0,
    },
    {
      part: PART,
      metric: 'calls answered 429 (all three runs)',
      value: round(
        (100 * (alone.throttled + flooded.throttled + backlogged.throttled)) /
          Math.max(1, alone.requests + flooded.requests + backlogged.requests),
        1,
      ),
      unit: '%',
    },
  ];
  return {
    rows,
    details: `### Fairness\n\nOne simulated deployment of ${settings.tpm} TPM with ${windowMs / 1000} s windows, ${windows} measured windows after one warm-up window per run, 16 consumers; fair share = half of quota x measured time.`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runFairnessBenchmark());
  process.exit(0);
}
