/**
 * Worker thread entry: one more Functions host instance, as Azure scales a Function App out. It parses
 * the stack's configuration, builds its own services (its own Cosmos DB, Service Bus and model clients,
 * its own caches) and runs the dev host with the queue triggers only, against the same Service Bus
 * namespace: its receivers compete with the other instances' for the same queues. The HTTP front door
 * stays on the main instance (one port, as one Function App URL). Started by host-thread.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createServices } from '../../functions/composition.js';
import { functionDefinitions, preloadHandlers } from '../../functions/registry.js';
import { closeServices, useServices } from '../../functions/services.js';
import { parseConfig } from '../../shared/config/index.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { readHostSettings, startDevHost, type DevHost } from '../devhost/index.js';
import type {
  HostClosedReply,
  HostCloseRequest,
  HostStartupMessage,
  HostWorkerInit,
} from './host-protocol.js';
import { countingLogger } from './invocation-counter.js';
import { ownOsThreadId } from './os-thread-id.js';

if (!parentPort) throw new Error('host-worker must run as a worker thread');
const parent: MessagePort = parentPort;
const init = workerData as HostWorkerInit;

let host: DevHost | undefined;
try {
  host = await start();
  parent.on('message', (request: HostCloseRequest) => {
    if (request.type === 'close') void stop();
  });
  const osThreadId = ownOsThreadId();
  const ready: HostStartupMessage = { type: 'ready', ...(osThreadId === undefined ? {} : { osThreadId }) };
  parent.postMessage(ready);
} catch (error) {
  await closeServices().catch(() => undefined);
  const failed: HostStartupMessage = {
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
  };
  parent.postMessage(failed);
  // Reported rather than thrown: with the port closed and nothing listening the thread ends on its own.
  parent.close();
}

async function start(): Promise<DevHost> {
  const config = parseConfig(init.env);
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { hostInstance: init.instance } });
  const services = createServices(config, { logger });
  useServices(services);
  if (config.serviceBus.kind !== 'connectionString')
    throw new Error('A host instance thread runs against the local emulator (a connection string)');
  // As the Azure entry does after its import (functions/index.ts): handler modules load before traffic,
  // so this instance's first messages do not pay for module loading while the others are warm. A group
  // that fails to load is retried, and reported, by its first invocation.
  await preloadHandlers();
  const base = readHostSettings();
  return startDevHost({
    definitions: functionDefinitions.filter((definition) => definition.kind === 'serviceBusQueue'),
    // startDevHost always listens; with no HTTP functions this port only answers 404 and nobody uses it.
    port: 0,
    serviceBusConnectionString: config.serviceBus.connectionString,
    hostSettings: init.maxConcurrentCalls
      ? { ...base, serviceBus: { ...base.serviceBus, maxConcurrentCalls: init.maxConcurrentCalls } }
      : base,
    log: countingLogger(logger, init.queueNames, init.counters),
    ...(init.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: init.shutdownGraceMs }),
  });
}

/** In-flight handlers finish (or their messages are abandoned), clients close, then the thread ends. */
async function stop(): Promise<void> {
  let reply: HostClosedReply = { type: 'closed' };
  try {
    await host?.close();
    await closeServices();
  } catch (error) {
    reply = { type: 'closed', error: error instanceof Error ? error.message : String(error) };
  }
  parent.postMessage(reply);
  parent.close();
}
