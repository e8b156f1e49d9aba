/**
 * The I/O floor: the Cosmos DB and Service Bus work a job cannot avoid, with no platform code around it,
 * on the same emulators and SDKs, in the same process, at the same concurrency. Per job:
 *
 *   create the job document -> send (hop 1) -> receive, send, complete (hop 2) -> receive, send,
 *   complete -> receive, conditional patch, complete (hop 3)
 *
 * which is the pipeline's happy path (accept, invoke, postprocess, persist) minus validation, the model
 * call, routing, logging and the use cases. No `deliver` hop: the benchmark tenant has no webhook
 * endpoints, so the pipeline skips it too (shared/pipeline/emit-event.ts), and a floor with a hop the
 * pipeline does not make would flatter the ratios. The pipeline's figures are reported as ratios to
 * this floor. It runs on its own emulator instances (queues `floor-1..3` with the `invoke` queue's
 * settings from infra/definitions/queues.json) so the dev host's triggers do not take its messages, and
 * puts them where the pipeline's run (on worker threads by default).
 */
import { CosmosClient, type Container } from '@azure/cosmos';
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusSender } from '@azure/service-bus';
import { ensureCosmosResources, startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/index.js';
import { loadQueueDefinitions } from '../../local/servicebus/definitions.js';
import {
  startServiceBusEmulator,
  type QueueDefinition,
  type ServiceBusEmulator,
} from '../../local/servicebus/index.js';
import { startEmulatorThread } from '../../local/threads/emulator-thread.js';
import { DEFAULT_THREADING } from '../../local/threads/stack-emulators.js';
import { benchEmulatorThreads, JOB_REQUEST } from './pipeline.js';

const HOPS = 3;
/** The last hop writes the terminal state with one conditional patch, as persist does. */
const PERSIST_HOP = HOPS;
const queueName = (hop: number) => `floor-${hop}`;

export interface FloorJob {
  readonly id: string;
  readonly createdAt: number;
  /** When each hop's handler received the job (hop 1..3; the terminal write is in the last). */
  readonly received: number[];
  persistedAt?: number;
  doneAt?: number;
}

export interface IoFloor {
  /** Starts receivers on every hop with this many concurrent calls each (like host.json's setting). */
  start(maxConcurrentCalls: number): Promise<void>;
  /** Submits one job (create + first send) and resolves when it is submitted. */
  submit(id: string): Promise<FloorJob>;
  /** Jobs whose last hop completed. */
  done(): number;
  jobs(): readonly FloorJob[];
  /** Stops the receivers (for another concurrency) and forgets the jobs. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The floor's emulators run where the pipeline's do (bench/lib/pipeline.ts benchEmulatorThreads): on
 * worker threads by default, so the ratio compares the same arrangement.
 */
async function startFloorEmulators(
  queues: QueueDefinition[],
  onStarted: (close: () => Promise<void>) => void,
): Promise<{ emulator: ServiceBusEmulator; cosmos: EmbeddedCosmos }> {
  const threading = benchEmulatorThreads();
  const layout = threading === true ? DEFAULT_THREADING : threading;
  if (layout === false) {
    const emulator = await startServiceBusEmulator({ queues });
    onStarted(() => emulator.close());
    const cosmos = await startEmbeddedCosmos();
    onStarted(() => cosmos.close());
    return { emulator, cosmos };
  }
  const serviceBusThread = await startEmulatorThread(
    layout === 'one' ? { serviceBus: { queues }, cosmos: {} } : { serviceBus: { queues } },
  );
  onStarted(() => serviceBusThread.close());
  const cosmosThread = layout === 'one' ? serviceBusThread : await startEmulatorThread({ cosmos: {} });
  if (cosmosThread !== serviceBusThread) onStarted(() => cosmosThread.close());
  if (!serviceBusThread.serviceBus || !cosmosThread.cosmos)
    throw new Error('An emulator thread did not start');
  return { emulator: serviceBusThread.serviceBus, cosmos: cosmosThread.cosmos };
}

export async function startIoFloor(): Promise<IoFloor> {
  const closers: Array<() => Promise<void>> = [];
  const template = loadQueueDefinitions().find((q) => q.name === 'invoke');
  if (!template) throw new Error('infra/definitions/queues.json has no invoke queue');
  let emulator: ServiceBusEmulator;
  let cosmos: EmbeddedCosmos;
  try {
    ({ emulator, cosmos } = await startFloorEmulators(
      Array.from({ length: HOPS }, (_, i) => ({ ...template, name: queueName(i + 1) })),
      (close) => closers.push(close),
    ));
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
  const cosmosClient = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  await ensureCosmosResources(cosmosClient);
  const container: Container = cosmosClient.database('prompt-pipeline').container('jobs');
  // Two connections, like the platform: the publisher's client sends, the host's client receives.
  const senderClient = new ServiceBusClient(emulator.connectionString);
  const receiverClient = new ServiceBusClient(emulator.connectionString);
  const senders = new Map<number, ServiceBusSender>();
  for (let hop = 1; hop <= HOPS; hop += 1) senders.set(hop, senderClient.createSender(queueName(hop)));
  const send = (hop: number, body: unknown, id: string) =>
    senders.get(hop)!.sendMessages({ body, messageId: `${id}:${hop}`, contentType: 'application/json' });

  let tracked = new Map<string, FloorJob>();
  let finished = 0;
  let stopReceivers: Array<() => Promise<void>> = [];

  const handle = async (hop: number, message: ServiceBusReceivedMessage, complete: () => Promise<void>) => {
    const body = message.body as { id: string; tenantId: string };
    const job = tracked.get(body.id);
    job?.received.push(Date.now());
    if (hop === PERSIST_HOP) {
      const at = new Date().toISOString();
      await container.item(body.id, body.tenantId).patch({
        condition: "from c where c.status = 'queued'",
        operations: [
          { op: 'set', path: '/status', value: 'succeeded' },
          { op: 'set', path: '/completedAt', value: at },
        ],
      });
      if (job) job.persistedAt = Date.now();
    }
    if (hop < HOPS) await send(hop + 1, body, body.id);
    await complete();
    if (hop === HOPS) {
      if (job) job.doneAt = Date.now();
      finished += 1;
    }
  };

  return {
    async start(maxConcurrentCalls) {
      for (let hop = 1; hop <= HOPS; hop += 1) {
        const receiver = receiverClient.createReceiver(queueName(hop), { receiveMode: 'peekLock' });
        const subscription = receiver.subscribe(
          {
            processMessage: (message) => handle(hop, message, () => receiver.completeMessage(message)),
            processError: () => Promise.resolve(),
          },
          { autoCompleteMessages: false, maxConcurrentCalls },
        );
        stopReceivers.push(async () => {
          await subscription.close();
          await receiver.close();
        });
      }
      return Promise.resolve();
    },
    async submit(id) {
      const job: FloorJob = { id, createdAt: Date.now(), received: [] };
      tracked.set(id, job);
      const now = new Date().toISOString();
      const document = {
        id,
        tenantId: 'floor',
        status: 'queued',
        request: JOB_REQUEST,
        createdAt: now,
        updatedAt: now,
      };
      await container.items.create(document);
      await send(1, { ...document }, id);
      return job;
    },
    done: () => finished,
    jobs: () => [...tracked.values()],
    async stop() {
      for (const stopOne of stopReceivers) await stopOne();
      stopReceivers = [];
      tracked = new Map();
      finished = 0;
    },
    async close() {
      for (const stopOne of stopReceivers) await stopOne();
      stopReceivers = [];
      await senderClient.close();
      await receiverClient.close();
      cosmosClient.dispose();
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
