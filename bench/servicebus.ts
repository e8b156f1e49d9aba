/**
 * Service Bus emulator benchmark: batched send + subscribe + complete on one queue through
 * the real @azure/service-bus SDK. Reports end-to-end messages/s, send-to-handler latency (p50/p99)
 * and memory over the run (the emulator must stay flat: its per-message work does not grow with queue length).
 *
 *   npm run build && node dist/bench/servicebus.js
 * Environment: BENCH_SB_MESSAGES (200000), BENCH_SB_BATCH (100), BENCH_SB_IN_FLIGHT (1000),
 * BENCH_SB_CONCURRENCY (64), BENCH_SB_MODE (worker | in-process; default worker when built),
 * BENCH_SB_PACED_MESSAGES (5000) and BENCH_SB_PACED_RATE (1000 msg/s) for the latency-below-saturation phase.
 */
import { existsSync } from 'node:fs';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ServiceBusClient } from '@azure/service-bus';
import { toQueueSettings } from '../local/servicebus/definitions.js';
import { Entity, type Lock } from '../local/servicebus/entity.js';
import { startServiceBusEmulator, type QueueDefinition, type QueueStats } from '../local/servicebus/index.js';
import { messageUtil } from '../local/servicebus/rhea.js';
import { parseMessage } from '../local/servicebus/stored-message.js';

export interface BenchmarkRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

export interface ServiceBusBenchmarkOptions {
  messages: number;
  batchSize: number;
  /** Sender pauses when this many messages are sent but not yet handled (keeps the queue bounded). */
  maxInFlight: number;
  maxConcurrentCalls: number;
  /** 'worker' runs the emulator on its own thread (needs the built JS); 'in-process' shares the SDK's thread. */
  mode: 'worker' | 'in-process';
  /** Second phase: this many messages at a steady `pacedRate` msg/s, to show latency below saturation. */
  pacedMessages: number;
  pacedRate: number;
}

const QUEUE: QueueDefinition = {
  name: 'bench',
  lockDuration: 'PT1M',
  maxDeliveryCount: 10,
  requiresDuplicateDetection: false,
  requiresSession: false,
  defaultMessageTimeToLive: 'P14D',
  deadLetteringOnMessageExpiration: true,
  maxMessageSizeInKilobytes: 256,
};

const WORKER_FILE = fileURLToPath(new URL('./servicebus-emulator-worker.js', import.meta.url));

function optionsFromEnv(): ServiceBusBenchmarkOptions {
  const number = (name: string, fallback: number): number => {
    const value = Number(process.env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const mode =
    process.env.BENCH_SB_MODE === 'in-process' || !existsSync(WORKER_FILE) ? 'in-process' : 'worker';
  return {
    messages: number('BENCH_SB_MESSAGES', 200_000),
    batchSize: number('BENCH_SB_BATCH', 100),
    maxInFlight: number('BENCH_SB_IN_FLIGHT', 1000),
    maxConcurrentCalls: number('BENCH_SB_CONCURRENCY', 64),
    mode,
    pacedMessages: number('BENCH_SB_PACED_MESSAGES', 5000),
    pacedRate: number('BENCH_SB_PACED_RATE', 1000),
  };
}

interface EmulatorHandle {
  connectionString: string;
  /** The emulator's own heap in bytes (its isolate in worker mode; the whole heap in-process). */
  heap(): Promise<{ heapUsed: number; stats: QueueStats; activeMs?: number }>;
  close(): Promise<void>;
}

async function startEmulator(mode: ServiceBusBenchmarkOptions['mode']): Promise<EmulatorHandle> {
  if (mode === 'in-process') {
    const emulator = await startServiceBusEmulator({ port: 0, queues: [QUEUE] });
    return {
      connectionString: emulator.connectionString,
      heap: () => {
        // In-process the heap is shared with the SDK; collect first so the figure is retained memory.
        setFlagsFromString('--expose-gc');
        (runInNewContext('gc') as () => void)();
        return Promise.resolve({ heapUsed: getHeapStatistics().used_heap_size, stats: emulator.stats() });
      },
      close: () => emulator.close(),
    };
  }
  const worker = new Worker(WORKER_FILE, { workerData: { queues: [QUEUE] } });
  const next = (type: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const onMessage = (msg: Record<string, unknown>): void => {
        if (msg.type !== type) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(msg);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const ready = await next('ready');
  return {
    connectionString: String(ready.connectionString),
    heap: async () => {
      const answer = next('heap');
      worker.postMessage({ type: 'heap' });
      const msg = await answer;
      return {
        heapUsed: Number(msg.heapUsed),
        stats: msg.stats as QueueStats,
        activeMs: Number(msg.activeMs),
      };
    },
    close: async () => {
      const closed = next('closed');
      worker.postMessage({ type: 'close' });
      await closed;
      await worker.terminate();
    },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const now = (): number => performance.timeOrigin + performance.now();
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * The broker core alone (no sockets, no SDK): enqueue + deliver + complete per message, once on an
 * empty queue and once with a long backlog. Equal figures show per-message work does not grow with
 * queue length (deque, lock map + heap, expiry heap).
 */
export function coreCostPerMessage(backlog: number, cycles = 20_000): number {
  const entity = new Entity(toQueueSettings(QUEUE), QUEUE.name, Date.now);
  const bytes = messageUtil.encode({ body: { payload: 'x'.repeat(200) }, application_properties: { t: 1 } });
  for (let i = 0; i < backlog; i++) entity.enqueue(parseMessage(bytes).message, undefined);
  let credit = 0;
  let last: Lock | undefined;
  entity.addConsumer({
    receiveAndDelete: false,
    available: () => credit,
    deliver: (_m, lock) => {
      credit--;
      last = lock;
    },
  });
  // Parsed up front: the loop times the queue's own work (deque, lock table, heaps), not allocation.
  const fresh = Array.from({ length: cycles }, () => parseMessage(bytes).message);
  const started = performance.now();
  for (let i = 0; i < cycles; i++) {
    entity.enqueue(fresh[i]!, undefined);
    credit = 1;
    entity.pump();
    if (last) entity.complete(last.token);
  }
  return ((performance.now() - started) * 1000) / cycles;
}

export async function runServiceBusBenchmark(
  overrides: Partial<ServiceBusBenchmarkOptions> = {},
): Promise<{ rows: BenchmarkRow[] }> {
  const o = { ...optionsFromEnv(), ...overrides };
  coreCostPerMessage(0, 5000); // warm up the JIT so the two measurements compare like with like
  const coreEmpty = coreCostPerMessage(0);
  const coreBacklog = coreCostPerMessage(100_000);
  const emulator = await startEmulator(o.mode);
  const client = new ServiceBusClient(emulator.connectionString);
  const sender = client.createSender(QUEUE.name);
  const receiver = client.createReceiver(QUEUE.name);
  const latencies = new Float64Array(o.messages);
  let handled = 0;
  let sent = 0;
  let resume: (() => void) | undefined;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const pacedLatencies = new Float64Array(o.pacedMessages);
  let pacedHandled = 0;
  let pacedDone: () => void = () => undefined;
  const pacedFinished = new Promise<void>((resolve) => (pacedDone = resolve));
  const heapSamples: Array<{ at: number; heap: number; rss: number }> = [];
  let nextSample = 0;
  const sampleEvery = Math.max(1, Math.floor(o.messages / 10));

  const sub = receiver.subscribe(
    {
      processMessage: async (m) => {
        const sentAt = (m.applicationProperties?.t as number | undefined) ?? now();
        if (m.applicationProperties?.paced === true) {
          if (pacedHandled < pacedLatencies.length) pacedLatencies[pacedHandled] = now() - sentAt;
          pacedHandled++;
          if (pacedHandled >= o.pacedMessages) pacedDone();
          return Promise.resolve();
        }
        if (handled < latencies.length) latencies[handled] = now() - sentAt;
        handled++;
        if (resume && sent - handled < o.maxInFlight / 2) {
          const r = resume;
          resume = undefined;
          r();
        }
        if (handled >= o.messages) done();
        return Promise.resolve();
      },
      processError: async (args) => {
        console.error('benchmark receiver error:', args.error.message);
        return Promise.resolve();
      },
    },
    { maxConcurrentCalls: o.maxConcurrentCalls, autoCompleteMessages: true },
  );

  const emulatorStart = (await emulator.heap()).activeMs;
  const sdkStart = performance.eventLoopUtilization();
  const cpuStart = process.cpuUsage();
  const started = now();
  while (sent < o.messages) {
    if (sent - handled >= o.maxInFlight) await new Promise<void>((r) => (resume = r));
    const n = Math.min(o.batchSize, o.messages - sent);
    const t = now();
    const batch = Array.from({ length: n }, (_, i) => ({
      body: { seq: sent + i, payload: 'x'.repeat(200) },
      applicationProperties: { t },
    }));
    await sender.sendMessages(batch);
    sent += n;
    if (sent >= nextSample) {
      nextSample += sampleEvery;
      const { heapUsed } = await emulator.heap();
      heapSamples.push({ at: sent, heap: heapUsed, rss: process.memoryUsage().rss });
    }
  }
  await finished;
  const elapsedMs = now() - started;
  const sdkBusyMs = performance.eventLoopUtilization(sdkStart).active;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // Let auto-complete settle the last messages before reading the final counts.
  await new Promise((r) => setTimeout(r, 500));
  const end = await emulator.heap();
  const emulatorBusyMs =
    end.activeMs !== undefined && emulatorStart !== undefined ? end.activeMs - emulatorStart : undefined;
  heapSamples.push({ at: o.messages, heap: end.heapUsed, rss: process.memoryUsage().rss });

  // Phase 2: a steady rate well below saturation, batches of 10, to show the latency of the path itself.
  const pacedBatch = 10;
  const intervalMs = (pacedBatch * 1000) / o.pacedRate;
  const pacedStart = now();
  for (let i = 0; i < o.pacedMessages; i += pacedBatch) {
    const due = pacedStart + (i / pacedBatch) * intervalMs;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = now();
    const n = Math.min(pacedBatch, o.pacedMessages - i);
    await sender.sendMessages(
      Array.from({ length: n }, (_, k) => ({
        body: { seq: i + k },
        applicationProperties: { t, paced: true },
      })),
    );
  }
  if (o.pacedMessages > 0) await pacedFinished;
  const pacedSorted = pacedLatencies.slice(0, Math.min(pacedHandled, pacedLatencies.length)).sort();
  await sub.close();
  await receiver.close();
  await sender.close();
  await client.close();
  await emulator.close();

  const sorted = latencies.slice(0, Math.min(handled, latencies.length)).sort();
  const heapAt = (fraction: number): number =>
    heapSamples.find((x) => x.at >= o.messages * fraction)?.heap ??
    heapSamples[heapSamples.length - 1]?.heap ??
    0;
  const q = end.stats[QUEUE.name];
  return {
    rows: [
      { metric: 'setup: messages', value: o.messages, unit: 'messages' },
      {
        metric: 'setup: batch size / max in flight',
        value: o.batchSize,
        unit: `messages / ${o.maxInFlight}`,
      },
      { metric: 'setup: subscribe maxConcurrentCalls', value: o.maxConcurrentCalls, unit: 'calls' },
      {
        metric: `setup: emulator runs ${o.mode === 'worker' ? 'on its own thread' : 'in the SDK thread'}`,
        value: 1,
        unit: o.mode,
      },
      {
        metric: 'end to end throughput',
        value: Math.round((handled / elapsedMs) * 1000),
        unit: 'msg/s',
        target: '>= 3000',
      },
      {
        metric: 'saturated: send -> handler latency p50',
        value: Math.round(percentile(sorted, 50) * 10) / 10,
        unit: 'ms',
      },
      {
        metric: 'saturated: send -> handler latency p99',
        value: Math.round(percentile(sorted, 99) * 10) / 10,
        unit: 'ms',
      },
      {
        metric: `paced at ${o.pacedRate} msg/s: send -> handler latency p50`,
        value: Math.round(percentile(pacedSorted, 50) * 10) / 10,
        unit: 'ms',
      },
      {
        metric: `paced at ${o.pacedRate} msg/s: send -> handler latency p99`,
        value: Math.round(percentile(pacedSorted, 99) * 10) / 10,
        unit: 'ms',
      },
      ...(emulatorBusyMs === undefined
        ? []
        : [
            {
              metric: 'emulator thread busy (wall) time per message',
              value: Math.round((emulatorBusyMs * 1000) / handled),
              unit: 'µs',
            },
          ]),
      {
        metric: 'SDK thread (sender + receiver) busy (wall) time per message',
        value: Math.round((sdkBusyMs * 1000) / handled),
        unit: 'µs',
      },
      {
        metric: 'CPU time per message, all threads (SDK + emulator)',
        value: Math.round((cpuMs * 1000) / handled),
        unit: 'µs',
      },
      {
        metric: 'broker core: enqueue + deliver + complete, empty queue',
        value: Math.round(coreEmpty * 10) / 10,
        unit: 'µs/message',
      },
      {
        metric: 'broker core: the same with 100,000 messages queued',
        value: Math.round(coreBacklog * 10) / 10,
        unit: 'µs/message',
        target: 'about the same',
      },
      { metric: 'emulator retained heap after 20% of messages', value: mb(heapAt(0.2)), unit: 'MB' },
      { metric: 'emulator retained heap after 60% of messages', value: mb(heapAt(0.6)), unit: 'MB' },
      { metric: 'emulator retained heap at the end', value: mb(end.heapUsed), unit: 'MB', target: 'flat' },
      {
        metric: 'process RSS at the end',
        value: mb(heapSamples[heapSamples.length - 1]?.rss ?? 0),
        unit: 'MB',
      },
      {
        metric: 'left in queue (active + locked)',
        value: (q?.active ?? 0) + (q?.locked ?? 0),
        unit: 'messages',
        target: '0',
      },
      { metric: 'dead-lettered', value: q?.deadLettered ?? 0, unit: 'messages', target: '0' },
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await runServiceBusBenchmark();
  const width = Math.max(...rows.map((r) => r.metric.length));
  for (const row of rows) {
    console.log(
      `${row.metric.padEnd(width)}  ${String(row.value).padStart(9)} ${row.unit}${row.target ? `  (target ${row.target})` : ''}`,
    );
  }
}
