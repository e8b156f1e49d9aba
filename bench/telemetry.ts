/**
 * Telemetry's price: the entry's import and the host's CPU per job with OpenTelemetry on and off, side by
 * side in one run.
 *
 * - Import: `dist/functions/index.js` in a fresh process (as bench/startup.ts), with and without
 *   APPLICATIONINSIGHTS_CONNECTION_STRING, alternating. With it the entry only declares the worker's
 *   OpenTelemetry capability during the import; the Azure Monitor distro loads in the background. Its time
 *   until ready is shown too (invocations before it are not traced).
 * - CPU per job: jobs over HTTP at a steady rate through the local stack (the emulators and the load
 *   generator on worker threads), CPU of the main thread (the dev host, the handlers, the SDK clients and,
 *   when on, the OpenTelemetry SDK and the Azure Monitor exporter) per job. "On" is the distro as
 *   functions/azure-monitor.ts starts it in Azure, exporting to a local stand-in for the ingestion
 *   endpoint (bench/lib/ingestion-stub.ts): once with Azure's sampling (5 new traces a second per
 *   instance; metrics are never sampled), once with every trace kept, the worst case. Each measurement
 *   runs in its own process, off and on alternating.
 *
 *   npm run build && node dist/bench/part-runner.js telemetry
 * Environment: BENCH_TELEMETRY_RUNS (import runs, 7), BENCH_TELEMETRY_RATE (jobs/s, 40),
 * BENCH_TELEMETRY_SECONDS (15), BENCH_TELEMETRY_ROUNDS (rounds of off, sampled, every trace, 3).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startIngestionStub } from './lib/ingestion-stub.js';
import { offerLoad } from './lib/load.js';
import { JOB_BODY, mainThreadCpuMs, startBenchStack, waitUntil } from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline } from './lib/rows.js';
import { median } from './lib/stats.js';
import { CORE_STAND_IN, ENTRY, runScript } from './startup.js';

const PART = 'telemetry';
const RESULT = '@@TELEMETRY-CPU@@';

interface ImportTiming {
  readonly importMs: number;
  /** Until the Azure Monitor distro was registered (telemetry on only). */
  readonly readyMs?: number;
}

async function timeImport(connectionString: string | undefined): Promise<ImportTiming> {
  const script = `${CORE_STAND_IN}
    const t = performance.now();
    const entry = await import(${JSON.stringify(ENTRY)});
    const importMs = performance.now() - t;
    const started = await entry.telemetryStarted;
    const readyMs = performance.now() - t;
    if (${JSON.stringify(Boolean(connectionString))} !== started) throw new Error('telemetry did not start as asked');
    process.stdout.write(JSON.stringify(started ? { importMs, readyMs } : { importMs }));
    process.exit(0);`;
  const env: Record<string, string> = connectionString
    ? { APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString }
    : {};
  return JSON.parse(await runScript(script, env)) as ImportTiming;
}

interface CpuTiming {
  readonly jobs: number;
  readonly mainCpuMsPerJob: number;
  readonly processCpuMsPerJob: number;
  /** Telemetry items the ingestion stand-in received during the run (on only). */
  readonly exportedItems: number;
}

/** Off; on as in Azure (5 new traces a second kept); on with every trace kept. */
type Mode = 'off' | 'sampled' | 'all';
const TRACES_PER_SECOND: Readonly<Record<Exclude<Mode, 'off'>, number>> = { sampled: 5, all: 100_000 };

/** One measurement in this process: called by the child that `measureCpu` starts. */
async function cpuInThisProcess(mode: Mode, ratePerSecond: number, seconds: number): Promise<CpuTiming> {
  const stub = mode === 'off' ? undefined : await startIngestionStub();
  if (stub && mode !== 'off') {
    const { startAzureMonitor } = await import('../functions/azure-monitor.js');
    await startAzureMonitor({
      connectionString: stub.connectionString,
      tracesPerSecond: TRACES_PER_SECOND[mode],
    });
  }
  const stack = await startBenchStack();
  try {
    const persisted = () =>
      stack.instances().reduce((sum, instance) => sum + (instance.invocations.persist ?? 0), 0);
    const load = (durationMs: number) =>
      offerLoad({
        url: `${stack.apiUrl}/v1/jobs`,
        apiKey: stack.apiKey,
        body: JOB_BODY,
        ratePerSecond,
        durationMs,
      });
    // Warm-up: JIT, connection pools, the SDK's first export; not counted.
    const warm = (await load(4_000)).filter((submission) => submission.status === 202).length;
    await waitUntil(() => persisted() >= warm, 120_000, 'the warm-up jobs', 20);
    const before = {
      main: mainThreadCpuMs() ?? 0,
      process: process.cpuUsage(),
      items: stub?.items() ?? 0,
    };
    const accepted = (await load(seconds * 1000)).filter((submission) => submission.status === 202).length;
    await waitUntil(() => persisted() >= warm + accepted, 180_000, `${accepted} jobs`, 20);
    const used = process.cpuUsage(before.process);
    return {
      jobs: accepted,
      mainCpuMsPerJob: ((mainThreadCpuMs() ?? 0) - before.main) / accepted,
      processCpuMsPerJob: (used.user + used.system) / 1000 / accepted,
      exportedItems: (stub?.items() ?? 0) - before.items,
    };
  } finally {
    await stack.close();
    await stub?.close();
  }
}

function measureCpu(mode: Mode, ratePerSecond: number, seconds: number): Promise<CpuTiming> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, 'cpu', mode, String(ratePerSecond), String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The ingestion stand-in's certificate is self-signed (bench/lib/ingestion-stub.ts).
      env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((text) => text.startsWith(RESULT));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT.length)) as CpuTiming);
      else reject(new Error(`telemetry CPU run (${mode}) failed with exit ${code}`));
    });
  });
}

export async function runTelemetryBenchmark(): Promise<PartResult> {
  const runs = Number(process.env.BENCH_TELEMETRY_RUNS) || 7;
  const rate = Number(process.env.BENCH_TELEMETRY_RATE) || 40;
  const seconds = Number(process.env.BENCH_TELEMETRY_SECONDS) || 15;
  const rounds = Number(process.env.BENCH_TELEMETRY_ROUNDS) || 3;
  const stub = await startIngestionStub();
  const off: ImportTiming[] = [];
  const on: ImportTiming[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      off.push(await timeImport(undefined));
      on.push(await timeImport(stub.connectionString));
    }
  } finally {
    await stub.close();
  }
  const cpuOff: CpuTiming[] = [];
  const cpuSampled: CpuTiming[] = [];
  const cpuAll: CpuTiming[] = [];
  for (let round = 0; round < rounds; round += 1) {
    cpuOff.push(await measureCpu('off', rate, seconds));
    cpuSampled.push(await measureCpu('sampled', rate, seconds));
    cpuAll.push(await measureCpu('all', rate, seconds));
  }
  const importOn = median(on.map((timing) => timing.importMs));
  const importOff = median(off.map((timing) => timing.importMs));
  const mainOff = median(cpuOff.map((timing) => timing.mainCpuMsPerJob));
  const mainSampled = median(cpuSampled.map((timing) => timing.mainCpuMsPerJob));
  const mainAll = median(cpuAll.map((timing) => timing.mainCpuMsPerJob));
  const overhead = mainSampled / mainOff - 1;
  const perRun = (timings: readonly CpuTiming[]) =>
    timings
      .map(
        (timing) =>
          `${round(timing.mainCpuMsPerJob, 2)} ms main / ${round(timing.processCpuMsPerJob, 2)} ms process (${timing.jobs} jobs${timing.exportedItems ? `, ${timing.exportedItems} items exported` : ''})`,
      )
      .join('; ');
  return {
    rows: [
      withBaseline(
        {
          part: PART,
          metric: `import dist/functions/index.js with APPLICATIONINSIGHTS_CONNECTION_STRING set (median of ${runs})`,
          value: round(importOn, 0),
          unit: 'ms',
          target: '< 200 ms',
          met: importOn < 200,
        },
        'the same import without it',
        round(importOff, 0),
      ),
      {
        part: PART,
        metric: `Azure Monitor distro registered, from the start of the import (median of ${runs})`,
        value: round(median(on.map((timing) => timing.readyMs ?? Number.NaN)), 0),
        unit: 'ms',
        note: 'In the background after the import; invocations before it are not traced.',
      },
      withBaseline(
        {
          part: PART,
          metric: `host (main thread) CPU per job, telemetry on as in Azure: 5 traces/s kept (${rate} jobs/s, ${seconds} s, median of ${rounds})`,
          value: round(mainSampled, 3),
          unit: 'ms',
          target: '< 10 % over off',
          met: overhead < 0.1,
          note: `${round(overhead * 100, 1)} % over off`,
        },
        'telemetry off',
        round(mainOff, 3),
      ),
      withBaseline(
        {
          part: PART,
          metric: `host (main thread) CPU per job, telemetry on, every trace kept (median of ${rounds})`,
          value: round(mainAll, 3),
          unit: 'ms',
          note: `${round((mainAll / mainOff - 1) * 100, 1)} % over off: the price of tracing every job`,
        },
        'telemetry off',
        round(mainOff, 3),
      ),
    ],
    details: [
      '### Telemetry on and off',
      '',
      `Import, ms: on ${on.map((timing) => round(timing.importMs, 0)).join(', ')}; off ${off.map((timing) => round(timing.importMs, 0)).join(', ')}.`,
      `CPU per job, off: ${perRun(cpuOff)}.`,
      `CPU per job, on (5 traces/s): ${perRun(cpuSampled)}.`,
      `CPU per job, on (every trace): ${perRun(cpuAll)}.`,
      '"Process" counts every thread: the emulators and the load generator too, the same in both.',
    ].join('\n'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'cpu') {
    const [, , , mode, rate, seconds] = process.argv;
    const timing = await cpuInThisProcess(mode as Mode, Number(rate), Number(seconds));
    process.stdout.write(`\n${RESULT}${JSON.stringify(timing)}\n`);
  } else {
    printPart(await runTelemetryBenchmark());
  }
  process.exit(0);
}
