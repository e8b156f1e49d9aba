/**
 * Local Azure Service Bus emulator that the official @azure/service-bus SDK uses unchanged
 * (AMQP 1.0 over plain TCP with `UseDevelopmentEmulator=true`). See docs/servicebus-emulator.md.
 */
import { Broker } from './broker.js';
import { loadQueueDefinitions, toQueueSettings, type QueueDefinition } from './definitions.js';
import type { Entity } from './entity.js';
import {
  readQueuesSnapshot,
  restoreQueuesSnapshot,
  writeQueuesSnapshot,
  type QueueSnapshotCounts,
} from './queue-snapshot.js';
import { startStatsServer } from './stats-http.js';

export type { QueueDefinition } from './definitions.js';
export { parseIsoDuration } from './duration.js';

/**
 * The key used when none is given. It is a fixed, published development value (like Azurite's
 * account key), not a secret: the emulator only listens on the loopback interface by default.
 */
export const DEFAULT_EMULATOR_KEY = 'SAS_KEY_VALUE_LOCAL_EMULATOR_NOT_A_SECRET';
export const DEFAULT_EMULATOR_KEY_NAME = 'RootManageSharedAccessKey';

export interface ServiceBusEmulatorOptions {
  /** 0 or omitted = ephemeral. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: infra/definitions/queues.json. Tests shrink time here, e.g. lockDuration 'PT0.5S'. */
  queues?: QueueDefinition[];
  /** Default 'RootManageSharedAccessKey'. */
  keyName?: string;
  /** Default DEFAULT_EMULATOR_KEY (a documented, non-secret local value). */
  key?: string;
  /** Serves GET /stats when set; 0 = ephemeral port. */
  statsPort?: number;
  /**
   * Where the queues' messages are kept between runs (JSON, queue-snapshot.ts says what is kept):
   * restored at start, written on close. In memory only when absent.
   */
  dataFile?: string;
}

export interface QueueCounts {
  active: number;
  scheduled: number;
  deferred: number;
  locked: number;
  deadLettered: number;
}

export type QueueStats = Record<string, QueueCounts>;

export interface ServiceBusEmulator {
  /** Endpoint=sb://HOST:PORT;SharedAccessKeyName=..;SharedAccessKey=..;UseDevelopmentEmulator=true; */
  readonly connectionString: string;
  readonly port: number;
  readonly statsUrl?: string;
  /** What was restored from `dataFile` at start; undefined when there was nothing to restore. */
  readonly restored?: QueueSnapshotCounts;
  stats(): QueueStats;
  close(): Promise<void>;
}

export async function startServiceBusEmulator(
  options: ServiceBusEmulatorOptions = {},
): Promise<ServiceBusEmulator> {
  const host = options.host ?? '127.0.0.1';
  const keyName = options.keyName ?? DEFAULT_EMULATOR_KEY_NAME;
  const key = options.key ?? DEFAULT_EMULATOR_KEY;
  const definitions = options.queues ?? loadQueueDefinitions();
  const settings = definitions.map(toQueueSettings);
  const names = new Set<string>();
  for (const s of settings) {
    if (names.has(s.name)) throw new Error(`Duplicate queue definition '${s.name}'`);
    names.add(s.name);
  }
  const broker = new Broker({ host, port: options.port ?? 0, keyName, key, queues: settings });
  const port = await broker.start();
  const entities = (): Map<string, Entity> =>
    new Map(
      broker.queueNames().flatMap((name) => {
        const entity = broker.queue(name);
        return entity ? [[name, entity] as const] : [];
      }),
    );
  const snapshot = options.dataFile ? readQueuesSnapshot(options.dataFile) : undefined;
  const restored = snapshot ? restoreQueuesSnapshot(entities(), snapshot) : undefined;
  const stats = (): QueueStats => {
    const out: QueueStats = {};
    for (const name of broker.queueNames()) {
      const entity = broker.queue(name);
      if (entity) out[name] = entity.stats();
    }
    return out;
  };
  const statsServer =
    options.statsPort === undefined ? undefined : await startStatsServer(host, options.statsPort, stats);
  let closed: Promise<void> | undefined;
  return {
    connectionString: `Endpoint=sb://${host}:${port};SharedAccessKeyName=${keyName};SharedAccessKey=${key};UseDevelopmentEmulator=true;`,
    port,
    statsUrl: statsServer?.url,
    ...(restored ? { restored } : {}),
    stats,
    close: () => {
      closed ??= (async () => {
        await statsServer?.close();
        await broker.close();
        // Connections are gone: nothing can change the queues after this.
        if (options.dataFile) writeQueuesSnapshot(options.dataFile, entities());
      })();
      return closed;
    },
  };
}
