/**
 * Scale-out on one machine: the local equivalent of a Function App running on several instances. The
 * main instance (this thread) serves HTTP; `count - 1` more run on worker threads (host-thread.ts), each
 * a full instance with its own configuration parse, services and Service Bus receivers. Every instance
 * with queue triggers subscribes to the same queues of the same emulator, so messages are shared
 * between them as competing consumers, exactly as between scaled-out instances in Azure; each instance
 * honours host.json's maxConcurrentCalls on its own, as in Azure.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { FunctionDefinition } from '../../functions/definitions.js';
import type { DevHostLogger } from '../devhost/index.js';
import { startHostThread, type HostThread } from './host-thread.js';
import { countingLogger, invocationCounters, readInvocations } from './invocation-counter.js';

/**
 * Whether the main instance also runs the queue triggers when other instances exist: 'all', measured.
 * 2 instances, 100 jobs/s over HTTP, instant model, emulators on one thread, 10 s, quiet 2-core machine
 * (00:02-00:08 UTC), accept -> persisted p50 / p99 in ms: 'all' 76/623, 187/602, 181/631, 25/147;
 * 'http' 98/1084, 657/1448, 244/1256, 46/552. With 'http' the worker instance runs all four stages
 * (54 % of a core against the main thread's 32 %) and becomes the bottleneck; with 'all' the stage
 * messages split about evenly (47/53 %) and so does the work. (With the emulators on the main thread the
 * two were alike: 'http' 65/197, 47/119; 'all' 434/1689, 53/131.)
 */
export const MAIN_INSTANCE_FUNCTIONS: 'all' | 'http' = 'all';

export interface HostInstancesOptions {
  /** Instances in all, the main one included; 1 runs the main instance alone. */
  readonly count: number;
  /** The stack's environment, parsed again by each worker instance. */
  readonly env: Readonly<Record<string, string>>;
  readonly definitions: readonly FunctionDefinition[];
  /** The stack's `functions` option: 'http' means no queue triggers anywhere. */
  readonly functions: 'all' | 'http';
  /** With count > 1: the main instance's share; MAIN_INSTANCE_FUNCTIONS by default. */
  readonly mainFunctions?: 'all' | 'http';
  readonly maxConcurrentCalls?: number;
  readonly shutdownGraceMs?: number;
}

export interface HostInstanceStats {
  /** 0 is the main instance. */
  readonly instance: number;
  readonly thread: 'main' | 'worker';
  /** What the instance runs: everything, the HTTP routes only, or the queue triggers only. */
  readonly functions: 'all' | 'http' | 'queues';
  /** Finished invocations per queue. */
  readonly invocations: Readonly<Record<string, number>>;
  /** The instance's event loop busy/idle time so far (diff two readings with performance's helper). */
  readonly eventLoop: EventLoopUtilization;
  /** The OS thread id where known (Linux): /proc/self/task/<id>/stat has its CPU time. */
  readonly osThreadId?: number;
}

export interface HostInstances {
  /** What the main instance's dev host runs. */
  readonly mainDefinitions: readonly FunctionDefinition[];
  /** Wraps the main instance's logger so its invocations are counted too. */
  readonly countMain: (logger: DevHostLogger) => DevHostLogger;
  readonly stats: () => HostInstanceStats[];
}

/** Starts the worker instances together; `onStarted` gets each closer as soon as its thread runs. */
export async function startHostInstances(
  options: HostInstancesOptions,
  onStarted: (close: () => Promise<void>) => void,
): Promise<HostInstances> {
  if (!Number.isInteger(options.count) || options.count < 1)
    throw new Error(`hostInstances must be a whole number of at least 1, got ${options.count}`);
  if (options.count > 1 && options.functions === 'http')
    throw new Error(
      "hostInstances > 1 runs queue triggers on the other instances; functions 'http' runs none",
    );
  const queueNames = options.definitions.flatMap((definition) =>
    definition.kind === 'serviceBusQueue' ? [definition.queueName] : [],
  );
  const mainFunctions =
    options.functions === 'http'
      ? 'http'
      : options.count > 1
        ? (options.mainFunctions ?? MAIN_INSTANCE_FUNCTIONS)
        : 'all';
  // Timers run on the main instance only, once per schedule, as the Functions host runs a timer on one
  // instance at a time; worker instances take queue triggers.
  const mainDefinitions =
    mainFunctions === 'http'
      ? options.definitions.filter((definition) => definition.kind !== 'serviceBusQueue')
      : options.definitions;

  const started = await Promise.allSettled(
    Array.from({ length: options.count - 1 }, (_, index) =>
      startHostThread({
        instance: index + 1,
        env: options.env,
        queueNames,
        ...(options.maxConcurrentCalls === undefined
          ? {}
          : { maxConcurrentCalls: options.maxConcurrentCalls }),
        ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
      }),
    ),
  );
  const threads: HostThread[] = [];
  for (const result of started) {
    if (result.status === 'fulfilled') threads.push(result.value);
  }
  // All worker instances close together: each waits for its own in-flight handlers.
  if (threads.length > 0)
    onStarted(async () => {
      await Promise.all(threads.map((thread) => thread.close()));
    });
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;

  const mainCounters = invocationCounters(queueNames);
  return {
    mainDefinitions,
    countMain: (logger) => countingLogger(logger, queueNames, mainCounters),
    stats: () => [
      {
        instance: 0,
        thread: 'main',
        functions: mainFunctions,
        invocations: readInvocations(queueNames, mainCounters),
        eventLoop: performance.eventLoopUtilization(),
        ...(process.platform === 'linux' ? { osThreadId: process.pid } : {}),
      },
      ...threads.map((thread): HostInstanceStats => ({
        instance: thread.instance,
        thread: 'worker',
        functions: 'queues',
        invocations: thread.invocations(),
        eventLoop: thread.eventLoopUtilization(),
        ...(thread.osThreadId === undefined ? {} : { osThreadId: thread.osThreadId }),
      })),
    ],
  };
}
