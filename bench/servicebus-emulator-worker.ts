/**
 * Runs the Service Bus emulator on its own thread for the benchmark, so broker and SDK get a core each,
 * as they would as separate processes. Answers 'heap' with the emulator isolate's heap and 'close'.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { startServiceBusEmulator, type QueueDefinition } from '../local/servicebus/index.js';

// A full GC before each heap reading, so the figures show retained memory rather than GC timing.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const port = parentPort;
if (!port) throw new Error('servicebus-emulator-worker must run as a worker thread');
const emulator = await startServiceBusEmulator({
  port: 0,
  queues: (workerData as { queues: QueueDefinition[] }).queues,
});
port.on('message', (msg: { type: string; queue?: string }) => {
  if (msg.type === 'heap') {
    gc();
    port.postMessage({
      type: 'heap',
      heapUsed: getHeapStatistics().used_heap_size,
      stats: emulator.stats(),
      activeMs: performance.eventLoopUtilization().active,
    });
  } else if (msg.type === 'close') {
    void emulator.close().then(() => {
      port.postMessage({ type: 'closed' });
      port.close();
    });
  }
});
port.postMessage({ type: 'ready', connectionString: emulator.connectionString });
