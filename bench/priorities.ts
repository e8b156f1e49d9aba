/**
 * Priorities benchmark: one tenant on a saturated simulated deployment with interactive work at 0.4x
 * the quota and background work at 1.2x (a tenth of it due within two and a half windows of its
 * submission, the rest within seven), through our model client (bench/lib/tenant-load.ts). Submissions
 * last five windows, the run seven and a half, so the backlog can drain: capacity remains for every
 * background job before its deadline.
 *
 * Targets: the 95th-percentile queue wait of interactive jobs is at most a fifth of background jobs'
 * in the same run; no background job misses its deadline (called after it, or never).
 *
 *   npm run build && node dist/bench/priorities.js   (or: node dist/bench/part-runner.js priorities)
 */
import { pathToFileURL } from 'node:url';
import type { PartResult } from './lib/report.js';
import { printPart } from './lib/report.js';
import { round, type BenchRow } from './lib/rows.js';
import { DEFAULT_LOAD, percentile, runTenantLoad, waitsOf } from './lib/tenant-load.js';

const PART = 'priorities';

export async function runPriorityBenchmark(): Promise<PartResult> {
  const { windowMs } = DEFAULT_LOAD;
  const settings = { ...DEFAULT_LOAD, submitMs: 5 * windowMs, runMs: 7.5 * windowMs };
  const result = await runTenantLoad(
    [
      { tenantId: 'team', priority: 'interactive', loadFactor: 0.4 },
      { tenantId: 'team', priority: 'background', loadFactor: 1.08, deadlineMs: 7 * windowMs },
      { tenantId: 'team', priority: 'background', loadFactor: 0.12, deadlineMs: 2.5 * windowMs },
    ],
    settings,
  );
  const interactive = waitsOf(result.jobs, 'team', 'interactive');
  const background = waitsOf(result.jobs, 'team', 'background');
  const p95Interactive = percentile(interactive, 0.95);
  const p95Background = percentile(background, 0.95);
  const end = result.startedAt + settings.runMs;
  const withDeadline = result.jobs.filter((j) => j.deadlineAt !== undefined && j.deadlineAt <= end);
  const missed = withDeadline.filter((j) => j.calledAt === undefined || j.calledAt > j.deadlineAt!).length;
  const tight = result.jobs.filter(
    (j) => j.deadlineAt !== undefined && j.deadlineAt - j.submittedAt < 3 * windowMs,
  );
  const failed = result.jobs.filter((j) => j.failed).length;
  const rows: BenchRow[] = [
    {
      part: PART,
      metric: 'interactive jobs: median queue wait',
      value: round(percentile(interactive, 0.5), 1),
      unit: 'ms',
    },
    {
      part: PART,
      metric: 'interactive jobs: p95 queue wait',
      value: round(p95Interactive, 1),
      unit: 'ms',
      baseline: { label: 'background p95, same run', value: round(p95Background, 1) },
      ...(p95Background > 0 ? { ratio: round(p95Interactive / p95Background, 3) } : {}),
      target: '<= 1/5 of background',
      met: p95Interactive <= p95Background / 5,
    },
    {
      part: PART,
      metric: 'background jobs: median queue wait',
      value: round(percentile(background, 0.5), 1),
      unit: 'ms',
    },
    {
      part: PART,
      metric: 'background jobs due within 2.5 windows: p95 queue wait',
      value: round(percentile(waitsOf(tight, 'team', 'background'), 0.95), 1),
      unit: 'ms',
    },
    {
      part: PART,
      metric: `background jobs whose deadline fell in the run (${withDeadline.length}): deadlines missed`,
      value: missed,
      unit: 'jobs',
      target: '0',
      met: missed === 0,
    },
    { part: PART, metric: 'failed jobs', value: failed, unit: 'jobs' },
    {
      part: PART,
      metric: 'jobs called / submitted',
      value: result.jobs.filter((j) => j.calledAt !== undefined).length,
      unit: `of ${result.jobs.length}`,
    },
    {
      part: PART,
      metric: 'calls answered 429',
      value: round((100 * result.throttled) / Math.max(1, result.requests), 1),
      unit: '%',
    },
  ];
  return {
    rows,
    details: `### Priorities\n\nOne tenant, one simulated deployment of ${settings.tpm} TPM with ${windowMs / 1000} s windows; submissions for ${settings.submitMs / 1000} s at 1.6x the quota (0.4x interactive, 1.2x background), run ${settings.runMs / 1000} s; a background job near its deadline (two windows) is called as interactive.`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runPriorityBenchmark());
  process.exit(0);
}
