/**
 * Where the time goes: a CPU profile of the main thread (dev host, functions, SDK clients) while
 * the pipeline runs at a steady offered load with an instant model, after a warm-up, taken with the
 * inspector's Profiler (what `node --cpu-prof` records), summarised by package and by function.
 * The emulators run on worker threads (like the services they stand for) and the load generator on
 * another: neither is in the profile, but both are in the process CPU figures, and a per-thread table
 * (Linux thread clocks) says which threads the process CPU went to: the host instances, the queue
 * listener (the host's Service Bus receivers), Node's V8 platform threads (garbage collection,
 * background compilation), the emulators, the load generator.
 * One host instance by default (the profile is its main thread); BENCH_PROFILE_INSTANCES=2 adds a
 * second on a worker thread (local/threads/host-instances.ts) to see how the work splits.
 *
 *   npm run build && node dist/bench/profile.js
 * Environment: BENCH_PROFILE_RATE (100 jobs/s), BENCH_PROFILE_SECONDS (5), BENCH_PROFILE_WARMUP_SECONDS (15, at
 * the same rate, not profiled), BENCH_PROFILE_OUT (write the
 * .cpuprofile there too, e.g. to open it in Chrome DevTools), BENCH_PROFILE_INSTANCES (1).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { offerLoad } from './lib/load.js';
import {
  allThreadsCpuMs,
  emulatorPlacement,
  instancePlacement,
  JOB_BODY,
  startBenchStack,
} from './lib/pipeline.js';
import type { BenchRow } from './lib/rows.js';
import { formatSelfTimes, summariseProfile } from './lib/profile-summary.js';
import type { PartResult } from './lib/report.js';
import { printPart } from './lib/report.js';
import { round } from './lib/rows.js';

export async function runProfile(
  options: { ratePerSecond?: number; seconds?: number } = {},
): Promise<PartResult> {
  const rate = options.ratePerSecond ?? (Number(process.env.BENCH_PROFILE_RATE) || 100);
  const seconds = options.seconds ?? (Number(process.env.BENCH_PROFILE_SECONDS) || 5);
  const hostInstances = Number(process.env.BENCH_PROFILE_INSTANCES) || 1;
  const warmupSeconds = Number(process.env.BENCH_PROFILE_WARMUP_SECONDS);
  const warmupMs = (Number.isFinite(warmupSeconds) && warmupSeconds >= 0 ? warmupSeconds : 15) * 1000;
  // Threads that exist before the stack: the main thread and Node's own (V8 platform workers, libuv).
  const processThreads = new Set(allThreadsCpuMs().keys());
  const stack = await startBenchStack({ hostInstances });
  const session = new Session();
  try {
    const load = (durationMs: number) =>
      offerLoad({
        url: `${stack.apiUrl}/v1/jobs`,
        apiKey: stack.apiKey,
        body: JOB_BODY,
        ratePerSecond: rate,
        durationMs,
      });
    // Warm-up: V8's background compilers take up to half a core for the first ~20 s at this load; the
    // profile is of the steady state a long-running host instance reaches, after links and caches open.
    await load(warmupMs);
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const threadsBefore = allThreadsCpuMs();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const started = performance.now();
    const submissions = await load(seconds * 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const threadsAfter = allThreadsCpuMs();
    const loop = performance.eventLoopUtilization(loopBefore);
    const wallMs = performance.now() - started;
    const { profile } = await session.post('Profiler.stop');
    if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));
    const summary = summariseProfile(profile as Parameters<typeof summariseProfile>[0], 15);
    const accepted = submissions.filter((s) => s.status === 202).length;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const instanceThreads = new Map(
      stack
        .instances()
        .flatMap((instance) =>
          instance.osThreadId === undefined ? [] : [[instance.osThreadId, instance.instance] as const],
        ),
    );
    const byThread = new Map<string, number>();
    for (const [id, after] of threadsAfter) {
      const instance = instanceThreads.get(id);
      const kind =
        instance !== undefined
          ? `host instance ${instance} (${instance === 0 ? 'main thread' : 'worker thread'})`
          : id === stack.host.queueListenerThreadId
            ? "queue listener thread (the host's Service Bus receivers: receive, lock renewal, settle)"
            : processThreads.has(id)
              ? "Node's own threads (V8 platform: GC, background compilation; libuv pool)"
              : threadsBefore.has(id)
                ? 'emulator thread(s) (Cosmos DB, Service Bus, model simulator)'
                : 'load generator thread (started with the load)';
      byThread.set(kind, (byThread.get(kind) ?? 0) + after - (threadsBefore.get(id) ?? 0));
    }
    const threadRows: BenchRow[] = [...byThread]
      .sort(([, a], [, b]) => b - a)
      .map(([kind, threadMs]) => ({
        part: 'profile',
        metric: `  CPU of ${kind}: per job / share of one core`,
        value: round(threadMs / Math.max(1, accepted), 2),
        unit: `ms / ${round((100 * threadMs) / wallMs, 0)} %`,
      }));
    return {
      rows: [
        {
          part: 'profile',
          metric: `process CPU per accepted job while offered ${rate} jobs/s (all threads: emulators, load)`,
          value: round(cpuMs / Math.max(1, accepted), 2),
          unit: 'ms CPU/job',
        },
        {
          part: 'profile',
          metric: 'process CPU use during the profile (all threads; 2 cores = 200 %)',
          value: round((100 * cpuMs) / wallMs, 0),
          unit: '%',
        },
        ...threadRows,
        {
          part: 'profile',
          // Busy share of the main event loop: near 100 % it is saturated and jobs queue behind it.
          metric: 'main thread event loop utilisation during the profile (dev host, functions, SDKs)',
          value: round(100 * loop.utilization, 0),
          unit: '%',
        },
      ],
      details: [
        `### Where the time goes: CPU profile at ${rate} jobs/s offered for ${seconds} s (main thread)`,
        '',
        `Placement: ${instancePlacement(hostInstances)}; ${emulatorPlacement()}. This profile is the`,
        'main thread only (dev host, functions, SDK clients). Thread CPU from the Linux per-thread clocks',
        '(10 ms ticks); threads are told apart by id where known (host instances, queue listener), else by when they started (before the stack, with it, with the load).',
        '',
        '```text',
        formatSelfTimes(
          'Time by package/folder (node internals charged to the nearest JS caller)',
          summary.callers,
        ),
        '',
        formatSelfTimes('Self time by function', summary.functions),
        '```',
      ].join('\n'),
    };
  } finally {
    session.disconnect();
    await stack.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runProfile());
}
