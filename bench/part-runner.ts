/**
 * Runs one benchmark part and prints its result as JSON on stdout, for bench/run-all.ts, which starts
 * each part in a fresh process: the instrumentation, the emulators' memory and the JIT state of one part
 * cannot colour the next, and a part that fails is reported without stopping the others.
 *
 *   node dist/bench/part-runner.js <part>
 * Parts: startup, cost, overhead, intake, throughput, unit-costs, profile, heavy-input, model-quota,
 * fleet-quota, fairness, priorities, servicebus, soak, telemetry, batches, routing.
 * model-quota and servicebus (bench/model-quota.ts, bench/servicebus.ts) report rows of their own shape,
 * loaded by file name.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PartResult } from './lib/report.js';
import type { BenchRow } from './lib/rows.js';

/** The row shape bench/model-quota.ts and bench/servicebus.ts export. */
interface ExternalRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

type ExternalRunner = (options?: Record<string, unknown>) => Promise<{ rows: ExternalRow[] }>;

/** Loads a benchmark with its own row shape by file name; undefined when the file is not there. */
async function external(file: string, exported: string): Promise<ExternalRunner | undefined> {
  const url = new URL(`./${file}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const module = (await import(url.href)) as Record<string, unknown>;
  const runner = module[exported];
  return typeof runner === 'function' ? (runner as ExternalRunner) : undefined;
}

/**
 * Another benchmark's rows in this table. Rows named "ours: X" and "plain SDK: X" (the model quota
 * benchmark's two paths, run one after the other) become one row with the plain SDK as its baseline.
 */
export function fromExternalRows(part: string, rows: readonly ExternalRow[]): BenchRow[] {
  const out: BenchRow[] = [];
  const plain = new Map(
    rows.filter((r) => r.metric.startsWith('plain SDK: ')).map((r) => [r.metric.slice(11), r] as const),
  );
  for (const row of rows) {
    if (
      row.metric.startsWith('plain SDK: ') &&
      rows.some((r) => r.metric === `ours: ${row.metric.slice(11)}`)
    )
      continue;
    const base = row.metric.startsWith('ours: ') ? plain.get(row.metric.slice(6)) : undefined;
    out.push({
      part,
      metric: row.metric,
      value: row.value,
      unit: row.unit,
      ...(row.target ? { target: row.target } : {}),
      ...(base
        ? {
            baseline: { label: 'plain openai SDK', value: base.value },
            ...(base.value === 0 ? {} : { ratio: row.value / base.value }),
          }
        : {}),
    });
  }
  return out;
}

const absent = (part: string, file: string, exported: string): PartResult => ({
  rows: [],
  details: `### ${part}\n\nNot run: bench/${file.replace(/\.js$/, '.ts')} with an exported \`${exported}\` was not in this build.`,
});

export const PARTS: Readonly<Record<string, () => Promise<PartResult>>> = {
  startup: async () => (await import('./startup.js')).runStartupBenchmark(),
  cost: async () => (await import('./cost.js')).runCostBenchmark(),
  overhead: async () => (await import('./overhead.js')).runOverheadBenchmark(),
  intake: async () => (await import('./intake.js')).runIntakeBenchmark(),
  throughput: async () => (await import('./throughput.js')).runThroughputBenchmark(),
  'unit-costs': async () => (await import('./unit-costs.js')).runUnitCosts(),
  profile: async () => (await import('./profile.js')).runProfile(),
  'heavy-input': async () => (await import('./heavy-input.js')).runHeavyInputBenchmark(),
  soak: async () => (await import('./soak.js')).runSoakBenchmark(),
  telemetry: async () => (await import('./telemetry.js')).runTelemetryBenchmark(),
  'fleet-quota': async () => (await import('./fleet-quota.js')).runFleetQuotaBenchmark(),
  fairness: async () => (await import('./fairness.js')).runFairnessBenchmark(),
  priorities: async () => (await import('./priorities.js')).runPriorityBenchmark(),
  batches: async () => (await import('./batches.js')).runBatchBenchmark(),
  routing: async () => (await import('./routing.js')).runRoutingBenchmark(),
  'model-quota': async () => {
    const run = await external('model-quota.js', 'runModelQuotaBenchmark');
    if (!run) return absent('Model quota', 'model-quota.js', 'runModelQuotaBenchmark');
    return { rows: fromExternalRows('model quota', (await run()).rows) };
  },
  servicebus: async () => {
    const run = await external('servicebus.js', 'runServiceBusBenchmark');
    if (!run) return absent('Service Bus emulator', 'servicebus.js', 'runServiceBusBenchmark');
    // A shorter run than its own default (200,000 messages) keeps `npm run bench` within 10 minutes.
    const messages = Number(process.env.BENCH_SB_MESSAGES) || 30_000;
    return { rows: fromExternalRows('Service Bus emulator', (await run({ messages })).rows) };
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const name = process.argv[2] ?? '';
  const part = PARTS[name];
  if (!part) {
    console.error(`Unknown part '${name}'. Parts: ${Object.keys(PARTS).join(', ')}`);
    process.exit(2);
  }
  const result = await part();
  process.stdout.write(`\n@@BENCH-RESULT@@${JSON.stringify(result)}\n`);
  // Emulators and SDK timers may keep the loop alive for a while after close: the result is out.
  process.exit(0);
}
