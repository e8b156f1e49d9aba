/**
 * Worker thread entry: runs some of the local emulators (embedded Cosmos DB, the Service Bus emulator,
 * the model simulator) on their own event loop, the way they run as separate services in Azure. The
 * main thread talks to them over their usual network protocols; this thread only answers control calls
 * (stats, faults) and close requests. Started by emulator-thread.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../cosmos/index.js';
import { startModelSimulator, type ModelSimulator } from '../model-simulator/index.js';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../servicebus/index.js';
import type {
  CloseReply,
  CloseRequest,
  EmulatorName,
  EmulatorThreadSpec,
  StartupMessage,
  WorkerInit,
} from './protocol.js';
import { serveSyncCalls } from './sync-call.js';

interface Running {
  readonly cosmos?: EmbeddedCosmos;
  readonly serviceBus?: ServiceBusEmulator;
  readonly model?: ModelSimulator;
}

if (!parentPort) throw new Error('emulator-worker must run as a worker thread');
const parent: MessagePort = parentPort;
const { spec, control, signal } = workerData as WorkerInit;
const closers = new Map<EmulatorName, () => Promise<void>>();

try {
  serve(await start(spec));
} catch (error) {
  await Promise.all([...closers.values()].map((close) => close().catch(() => undefined)));
  const failed: StartupMessage = {
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
  };
  parent.postMessage(failed);
  // Reported rather than thrown: with both ports closed the thread ends on its own.
  endThread();
}

async function start(wanted: EmulatorThreadSpec): Promise<Running> {
  let cosmos: EmbeddedCosmos | undefined;
  let serviceBus: ServiceBusEmulator | undefined;
  let model: ModelSimulator | undefined;
  if (wanted.cosmos) {
    const started = await startEmbeddedCosmos(wanted.cosmos);
    closers.set('cosmos', () => started.close());
    cosmos = started;
  }
  if (wanted.serviceBus) {
    const started = await startServiceBusEmulator(wanted.serviceBus);
    closers.set('serviceBus', () => started.close());
    serviceBus = started;
  }
  if (wanted.model) {
    const started = await startModelSimulator(wanted.model);
    closers.set('model', () => started.close());
    model = started;
  }
  return {
    ...(cosmos ? { cosmos } : {}),
    ...(serviceBus ? { serviceBus } : {}),
    ...(model ? { model } : {}),
  };
}

function serve(emulators: Running): void {
  const running = <K extends EmulatorName>(name: K): NonNullable<Running[K]> => {
    const emulator = emulators[name];
    if (emulator === undefined || !closers.has(name))
      throw new Error(`The ${name} emulator is not running on this thread`);
    return emulator;
  };
  serveSyncCalls(control, signal, (request) => {
    switch (request.op) {
      case 'serviceBus.stats':
        return running('serviceBus').stats();
      case 'thread.heapUsed':
        // After a full collection when the process exposes gc (the soak benchmark does): live data only.
        (globalThis as { gc?: () => void }).gc?.();
        return process.memoryUsage().heapUsed;
      case 'model.stats':
        return running('model').stats();
      case 'model.occupancy':
        return running('model').occupancy();
      case 'model.resetStats':
        return running('model').resetStats();
      case 'model.setFaults':
        return running('model').setFaults(request.settings);
      case 'model.batchStats':
        return running('model').batchStats();
      case 'model.setBatchTiming':
        return running('model').setBatchTiming(request.timing);
    }
  });

  let closing = 0;
  const reply = (message: CloseReply): void => {
    closing -= 1;
    parent.postMessage(message);
    // Every emulator closed and answered for: nothing is left to serve.
    if (closers.size === 0 && closing === 0) endThread();
  };
  parent.on('message', (request: CloseRequest) => {
    const close = closers.get(request.emulator);
    closers.delete(request.emulator);
    closing += 1;
    void (close ? close() : Promise.resolve()).then(
      () => reply({ type: 'closed', id: request.id }),
      (error: unknown) => reply({ type: 'closed', id: request.id, error: String(error) }),
    );
  });

  const { cosmos, serviceBus, model } = emulators;
  const ready: StartupMessage = {
    type: 'ready',
    ...(cosmos
      ? {
          cosmos: {
            endpoint: cosmos.endpoint,
            key: cosmos.key,
            ...(cosmos.restored ? { restored: cosmos.restored } : {}),
          },
        }
      : {}),
    ...(serviceBus
      ? {
          serviceBus: {
            connectionString: serviceBus.connectionString,
            port: serviceBus.port,
            ...(serviceBus.statsUrl ? { statsUrl: serviceBus.statsUrl } : {}),
            ...(serviceBus.restored ? { restored: serviceBus.restored } : {}),
          },
        }
      : {}),
    ...(model ? { model: { url: model.url } } : {}),
  };
  parent.postMessage(ready);
}

/** Closing both ports leaves the event loop empty, so the thread ends. */
function endThread(): void {
  control.close();
  parent.close();
}
