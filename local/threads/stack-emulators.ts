/**
 * The three emulators of the local stack, in this thread or on worker threads. On worker threads they
 * run like the separate services they stand for (in Azure, Cosmos DB, Service Bus and Azure OpenAI are
 * remote): their CPU no longer competes with the dev host's event loop, and the stack uses both cores.
 */
import type { EmbeddedCosmos, EmbeddedCosmosOptions } from '../cosmos/server.js';
import type { ModelSimulator, ModelSimulatorOptions } from '../model-simulator/index.js';
import type { ServiceBusEmulator, ServiceBusEmulatorOptions } from '../servicebus/index.js';
import { startEmulatorThread, type EmulatorThread } from './emulator-thread.js';

/**
 * - false: in this thread (tests: fastest start, no extra isolates).
 * - 'one': all three on one worker thread.
 * - 'each': a worker thread per emulator.
 * - true: the better of the two as measured on a 2-core machine (see DEFAULT_THREADING).
 */
export type EmulatorThreading = boolean | 'one' | 'each';

/**
 * One thread for all three, measured against one each on this 2-core machine with the pipeline at a
 * steady load over HTTP (instant model, quiet machine, ~23:35 UTC): at 60 jobs/s, one thread took
 * 21.8 ms of process CPU per job and gave accept -> persisted p50 12 ms / p99 52-92 ms; three threads
 * took 24-26 ms and gave p50 17-27 / p99 87-139 ms; at 100 jobs/s p50 52-87 ms against 125 ms. With two
 * cores the main thread needs one to itself: three more busy threads contend with it and with each
 * other (more context switches, three isolates' GC), and the emulators together use ~0.3 core.
 */
export const DEFAULT_THREADING: 'one' | 'each' = 'one';

export interface StackEmulatorOptions {
  readonly cosmos: EmbeddedCosmosOptions;
  readonly serviceBus: ServiceBusEmulatorOptions;
  readonly model: ModelSimulatorOptions;
}

export interface StackEmulators {
  readonly cosmos: EmbeddedCosmos;
  readonly serviceBus: ServiceBusEmulator;
  readonly model: ModelSimulator;
  /** Bytes of JS heap the emulator threads use; undefined when they share the main thread's heap. */
  readonly heapUsed: () => number | undefined;
}

/**
 * Starts them in the order cosmos, Service Bus, model; `onStarted` receives each closer as soon as it
 * exists, so a failure part-way leaves nothing running once the caller closes what it was given.
 */
export async function startStackEmulators(
  threading: EmulatorThreading,
  options: StackEmulatorOptions,
  onStarted: (close: () => Promise<void>) => void,
): Promise<StackEmulators> {
  const mode = threading === true ? DEFAULT_THREADING : threading;
  if (mode === false) {
    // Loaded here, not at the top: on threads the emulators' modules (cosmosdb-server, the broker, the
    // simulator) load in the worker only, and the main thread's start-up does not pay for them twice.
    const [{ startEmbeddedCosmos }, { startServiceBusEmulator }, { startModelSimulator }] = await Promise.all(
      [
        import('../cosmos/server.js'),
        import('../servicebus/index.js'),
        import('../model-simulator/index.js'),
      ],
    );
    const cosmos = await startEmbeddedCosmos(options.cosmos);
    onStarted(() => cosmos.close());
    const serviceBus = await startServiceBusEmulator(options.serviceBus);
    onStarted(() => serviceBus.close());
    const model = await startModelSimulator(options.model);
    onStarted(() => model.close());
    return { cosmos, serviceBus, model, heapUsed: () => undefined };
  }
  if (mode === 'one') {
    const thread = await startEmulatorThread(options);
    onStarted(() => thread.close());
    return {
      cosmos: required(thread, 'cosmos'),
      serviceBus: required(thread, 'serviceBus'),
      model: required(thread, 'model'),
      heapUsed: () => thread.heapUsed(),
    };
  }
  // One thread each, started together: each isolate loads only its own emulator's modules.
  const threads = await Promise.allSettled([
    startEmulatorThread({ cosmos: options.cosmos }),
    startEmulatorThread({ serviceBus: options.serviceBus }),
    startEmulatorThread({ model: options.model }),
  ]);
  for (const result of threads) {
    if (result.status === 'fulfilled') onStarted(() => result.value.close());
  }
  const [cosmos, serviceBus, model] = threads.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }) as [EmulatorThread, EmulatorThread, EmulatorThread];
  return {
    cosmos: required(cosmos, 'cosmos'),
    serviceBus: required(serviceBus, 'serviceBus'),
    model: required(model, 'model'),
    heapUsed: () => cosmos.heapUsed() + serviceBus.heapUsed() + model.heapUsed(),
  };
}

function required<K extends 'cosmos' | 'serviceBus' | 'model'>(
  thread: EmulatorThread,
  name: K,
): StackEmulators[K] {
  const emulator = thread[name];
  if (!emulator) throw new Error(`The emulator thread did not start ${name}`);
  return emulator as StackEmulators[K];
}
