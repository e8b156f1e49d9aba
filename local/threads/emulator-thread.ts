/**
 * Main-thread side of an emulator worker: starts emulator-worker.ts with some emulators and returns
 * handles with the same interfaces as the in-process emulators (EmbeddedCosmos, ServiceBusEmulator,
 * ModelSimulator). Endpoints are plain values; synchronous methods (stats(), setFaults(), ...) are
 * synchronous calls into the worker (sync-call.ts); close() is a request and, for the thread's last
 * emulator, waits for the thread to end.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { EmbeddedCosmos } from '../cosmos/index.js';
import type { ModelSimulator, SimulatorStats } from '../model-simulator/index.js';
import type { QueueStats, ServiceBusEmulator } from '../servicebus/index.js';
import type {
  CloseReply,
  CloseRequest,
  EmulatorName,
  EmulatorThreadSpec,
  StartupMessage,
  SyncRequest,
  WorkerInit,
} from './protocol.js';
import { SyncCaller } from './sync-call.js';
import { startWorker } from './worker-script.js';

export type { EmulatorThreadSpec } from './protocol.js';

export interface EmulatorThread {
  readonly cosmos?: EmbeddedCosmos;
  readonly serviceBus?: ServiceBusEmulator;
  readonly model?: ModelSimulator;
  /** Bytes of the thread's JS heap in use (after a full collection when gc is exposed). */
  heapUsed(): number;
  /** Closes every emulator still open on the thread and waits for the thread to end. */
  close(): Promise<void>;
}

export interface EmulatorThreadOptions {
  /** How long a synchronous call or the thread's exit may take; 10 s by default. */
  readonly timeoutMs?: number;
}

export async function startEmulatorThread(
  spec: EmulatorThreadSpec,
  options: EmulatorThreadOptions = {},
): Promise<EmulatorThread> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const init: WorkerInit = { spec, control: port2, signal };
  const worker = await startWorker('emulator-worker', { workerData: init, transferList: [port2] });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const caller = new SyncCaller(port1, signal, timeoutMs);

  let ready: Extract<StartupMessage, { type: 'ready' }>;
  try {
    ready = await startup(worker);
  } catch (error) {
    caller.close();
    await worker.terminate();
    throw error;
  }

  const open = new Set<EmulatorName>(
    (['cosmos', 'serviceBus', 'model'] as const).filter((name) => ready[name] !== undefined),
  );
  const pending = new Map<number, (reply: CloseReply) => void>();
  let nextId = 0;
  worker.on('message', (message: CloseReply) => pending.get(message.id)?.(message));
  // An emulator crashing on its thread ends that thread, not the process (as a remote service's crash
  // would): its clients see connection errors, later control calls fail with the cause, and close()
  // returns instead of waiting for answers that will not come.
  let failure: string | undefined;
  worker.on('error', (error) => (failure = String(error)));
  void exited.then((code) => {
    failure ??= `exited with code ${code}`;
    open.clear();
    for (const settle of pending.values()) settle({ type: 'closed', id: -1 });
  });
  const call = (request: SyncRequest): unknown => {
    if (failure !== undefined) throw new Error(`The emulator thread is gone (${failure})`);
    return caller.call(request);
  };

  let ended: Promise<void> | undefined;
  const endThread = (): Promise<void> => {
    ended ??= (async () => {
      caller.close();
      const timer = setTimeout(() => void worker.terminate(), timeoutMs);
      await exited;
      clearTimeout(timer);
    })();
    return ended;
  };

  const closing = new Map<EmulatorName, Promise<void>>();
  const closeOne = (emulator: EmulatorName): Promise<void> => {
    let done = closing.get(emulator);
    if (!done) {
      done = (async () => {
        if (open.has(emulator)) {
          const id = nextId++;
          const request: CloseRequest = { type: 'close', id, emulator };
          const reply = await new Promise<CloseReply>((resolve) => {
            pending.set(id, resolve);
            worker.postMessage(request);
          });
          pending.delete(id);
          open.delete(emulator);
          if (reply.error) throw new Error(`Closing the ${emulator} emulator failed: ${reply.error}`);
        }
        if (open.size === 0) await endThread();
      })();
      closing.set(emulator, done);
    }
    return done;
  };

  const cosmos: EmbeddedCosmos | undefined = ready.cosmos && {
    endpoint: ready.cosmos.endpoint,
    key: ready.cosmos.key,
    ...(ready.cosmos.restored ? { restored: ready.cosmos.restored } : {}),
    close: () => closeOne('cosmos'),
  };
  const serviceBus: ServiceBusEmulator | undefined = ready.serviceBus && {
    connectionString: ready.serviceBus.connectionString,
    port: ready.serviceBus.port,
    ...(ready.serviceBus.statsUrl ? { statsUrl: ready.serviceBus.statsUrl } : {}),
    ...(ready.serviceBus.restored ? { restored: ready.serviceBus.restored } : {}),
    stats: () => call({ op: 'serviceBus.stats' }) as QueueStats,
    close: () => closeOne('serviceBus'),
  };
  const model: ModelSimulator | undefined = ready.model && {
    url: ready.model.url,
    stats: () => call({ op: 'model.stats' }) as SimulatorStats,
    occupancy: () => call({ op: 'model.occupancy' }) as ReturnType<ModelSimulator['occupancy']>,
    resetStats: () => void call({ op: 'model.resetStats' }),
    setFaults: (settings) => void call({ op: 'model.setFaults', settings }),
    batchStats: () => call({ op: 'model.batchStats' }) as ReturnType<ModelSimulator['batchStats']>,
    setBatchTiming: (timing) => void call({ op: 'model.setBatchTiming', timing }),
    close: () => closeOne('model'),
  };

  return {
    ...(cosmos ? { cosmos } : {}),
    ...(serviceBus ? { serviceBus } : {}),
    ...(model ? { model } : {}),
    heapUsed: () => call({ op: 'thread.heapUsed' }) as number,
    async close() {
      await Promise.all([...open].map((emulator) => closeOne(emulator)));
      await endThread();
    },
  };
}

function startup(worker: Worker): Promise<Extract<StartupMessage, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) =>
      reject(new Error(`Emulator thread exited with code ${code} before it was ready`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: StartupMessage) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (message.type === 'ready') resolve(message);
      else reject(new Error(`Emulator thread failed to start: ${message.message}`));
    });
  });
}
