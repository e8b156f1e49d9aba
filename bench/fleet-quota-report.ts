/**
 * The fleet quota benchmark's figures: per instance count, leases next to the fixed per-instance share,
 * as rows for `npm run bench` and a details table for docs/benchmarks.md.
 *
 * Coordination cost is counted by the lease store itself (operations, bytes). The local Cosmos DB
 * reports a constant request charge, so request units are estimated from Cosmos DB's published figures
 * (a point read of up to 1 KB costs 1 RU, a replace of 1 KB about 11: twice an insert's 5.5) and the
 * measured document sizes; indexing the lease document's fields costs more, so it is a floor.
 */
import type { SimulatorStats } from '../local/model-simulator/index.js';
import type { InstanceResult } from './fleet-quota-instance.js';
import type { PartResult } from './lib/report.js';
import { round, type BenchRow } from './lib/rows.js';

export interface ScenarioResult {
  readonly instances: number;
  readonly mode: 'leases' | number;
  /** Accepted tokens / (quota x time) over the measured windows. */
  readonly occupancy: number;
  readonly totals: SimulatorStats['totals'];
  readonly results: readonly InstanceResult[];
  /** One-minute load average when the scenario ended. */
  readonly load: number;
}

interface Figures {
  readonly quotaUsed: number;
  readonly failed: number;
  readonly throttled: number;
  readonly completed: number;
  readonly reschedules: number;
  readonly storeOps: number;
  readonly opsPer1kTokens: number;
  readonly opsPerJob: number;
  readonly ruPer1kTokens: number;
  readonly ruPerJob: number;
  readonly shares: string;
  readonly load: number;
}

const WRITE_RU_PER_KB = 11;

function figures(scenario: ScenarioResult): Figures {
  const sum = (pick: (r: InstanceResult) => number) =>
    scenario.results.reduce((total, r) => total + pick(r), 0);
  const reads = sum((r) => r.store.reads);
  const writes = sum((r) => r.store.writes);
  const readKb = reads === 0 ? 0 : sum((r) => r.store.bytesRead) / reads / 1024;
  const writeKb = writes === 0 ? 0 : sum((r) => r.store.bytesWritten) / writes / 1024;
  const ru =
    reads * Math.max(1, Math.ceil(readKb)) + writes * WRITE_RU_PER_KB * Math.max(1, Math.ceil(writeKb));
  const tokens = scenario.totals.chargedTokens;
  const jobs = scenario.totals.admitted;
  const { requests, throttled } = scenario.totals;
  return {
    quotaUsed: round(scenario.occupancy * 100, 1),
    failed: sum((r) => r.failed),
    throttled: requests === 0 ? 0 : round((throttled / requests) * 100, 1),
    completed: sum((r) => r.completed),
    reschedules: sum((r) => r.reschedules),
    storeOps: reads + writes,
    opsPer1kTokens: tokens === 0 ? 0 : round(((reads + writes) / tokens) * 1000, 3),
    opsPerJob: jobs === 0 ? 0 : round((reads + writes) / jobs, 3),
    ruPer1kTokens: tokens === 0 ? 0 : round((ru / tokens) * 1000, 2),
    ruPerJob: jobs === 0 ? 0 : round(ru / jobs, 2),
    shares: scenario.results.map((r) => r.share.toFixed(2)).join(' / '),
    load: round(scenario.load, 2),
  };
}

const label = (mode: ScenarioResult['mode']): string =>
  mode === 'leases' ? 'leases' : `fixed share ${mode}`;

export function fleetRows(
  scenarios: readonly ScenarioResult[],
  settings: { readonly windowMs: number; readonly windows: number; readonly loadFactor: number },
): PartResult {
  const rows: BenchRow[] = [];
  const byInstances = new Map<number, ScenarioResult[]>();
  for (const s of scenarios) byInstances.set(s.instances, [...(byInstances.get(s.instances) ?? []), s]);
  for (const [instances, group] of byInstances) {
    const leases = group.find((s) => s.mode === 'leases');
    if (!leases) continue;
    const ours = figures(leases);
    const fixed = group.find((s) => s.mode !== 'leases');
    const base = fixed ? figures(fixed) : undefined;
    const row = (
      metric: string,
      value: number,
      unit: string,
      baseline: number | undefined,
      target?: string,
      met?: boolean,
    ): BenchRow => ({
      part: 'fleet quota',
      metric: `${instances} instance${instances === 1 ? '' : 's'}: ${metric}`,
      value,
      unit,
      ...(baseline !== undefined && fixed
        ? {
            baseline: { label: label(fixed.mode), value: baseline },
            ...(baseline === 0 ? {} : { ratio: value / baseline }),
          }
        : {}),
      ...(target ? { target, met: met ?? false } : {}),
    });
    rows.push(
      row(
        'quota used (accepted tokens / quota x time)',
        ours.quotaUsed,
        '%',
        base?.quotaUsed,
        '>= 95',
        ours.quotaUsed >= 95,
      ),
      row('failed jobs', ours.failed, 'jobs', base?.failed, '0', ours.failed === 0),
      row('calls answered 429', ours.throttled, '%', base?.throttled, '<= 5', ours.throttled <= 5),
      row('lease store operations per 1,000 tokens', ours.opsPer1kTokens, 'ops', base?.opsPer1kTokens),
      row('lease store operations per job', ours.opsPerJob, 'ops', base?.opsPerJob),
      row('estimated RU per 1,000 tokens', ours.ruPer1kTokens, 'RU', base?.ruPer1kTokens),
      row('estimated RU per job', ours.ruPerJob, 'RU', base?.ruPerJob),
    );
  }
  const header =
    '| instances | pacing | quota used | failed jobs | 429s | jobs completed | reschedules | store ops | ops / 1k tokens | ops / job | est. RU / 1k tokens | est. RU / job | shares at the end | load (1 min) |';
  const lines = scenarios.map((s) => {
    const f = figures(s);
    return `| ${s.instances} | ${label(s.mode)} | ${f.quotaUsed}% | ${f.failed} | ${f.throttled}% | ${f.completed} | ${f.reschedules} | ${f.storeOps} | ${f.opsPer1kTokens} | ${f.opsPerJob} | ${f.ruPer1kTokens} | ${f.ruPerJob} | ${f.shares} | ${f.load} |`;
  });
  const details = [
    '### Fleet quota',
    '',
    `Load ${settings.loadFactor}x the quota split evenly over the instances, ${settings.windows} measured ${settings.windowMs / 1000} s windows after one warm-up window (compressed time: renewals every ${Math.round(settings.windowMs / 12)} ms); RU estimated from document sizes (bench/fleet-quota-report.ts).`,
    '',
    header,
    `|${' --- |'.repeat(14)}`,
    ...lines,
  ].join('\n');
  return { rows, details };
}
