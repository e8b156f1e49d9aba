/**
 * The local Functions host: runs the same definitions the Azure registration uses, HTTP on one port under
 * the route prefix and one Service Bus receiver per queue trigger, with host.json's settings.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import type {
  FunctionDefinition,
  HttpFunctionDefinition,
  QueueFunctionDefinition,
  TimerFunctionDefinition,
} from '../../functions/definitions.js';
import type { HostSettings, ServiceBusHostSettings } from './host-settings.js';
import { readHostSettings } from './host-settings.js';
import { answerClientErrors } from './client-errors.js';
import { createHttpListener, type HttpMount } from './http-host.js';
import { writeProblem } from './http-response.js';
import type { DevHostLogger } from './logger.js';
import { consoleLogger, describeError } from './logger.js';
import { startQueueRunner } from './queue-runner.js';
import { startTimers } from './timer-runner.js';
import { closeWithin } from '../../shared/messaging/bounded-close.js';
import { createTriggerClient, type ServiceBusConnection } from './service-bus-client.js';
import { startQueueListener } from '../threads/queue-listener.js';

/** Idle keep-alive sockets are kept this long, as by the Azure Functions host (Kestrel's default). */
const KEEP_ALIVE_MS = 130_000;
export interface DevHostOptions {
  readonly definitions: readonly FunctionDefinition[];
  /** 7071 as `func start` uses; 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Needed only when there are queue triggers. Never logged. */
  readonly serviceBusConnectionString?: string;
  /** Identity-based alternative for real Azure: the namespace and a credential (no keys). */
  readonly serviceBusIdentity?: {
    readonly fullyQualifiedNamespace: string;
    readonly credential: TokenCredential;
  };
  /** Defaults to the project's host.json. */
  readonly hostSettings?: HostSettings;
  readonly log?: DevHostLogger;
  /** Host-level request body cap, checked before reading; 4 MB by default. */
  readonly maxBodyBytes?: number;
  /** How long close() lets running handlers finish before abandoning their messages; 30 s by default. */
  readonly shutdownGraceMs?: number;
  /**
   * Where the queue triggers' Service Bus receivers run: on this thread ('in-process', the default), or
   * on a listener thread of their own ('thread', local/threads/queue-listener.ts), as the Functions host
   * receives outside the language worker and hands it each message; the functions still run here. The
   * listener thread needs `serviceBusConnectionString` (a credential cannot cross threads).
   */
  readonly queueListener?: 'in-process' | 'thread';
  /** Runs timer functions this often instead of by their schedule (tests); the schedule by default. */
  readonly timerIntervalMs?: number;
  /** Local tools on the HTTP port beside the functions (the dashboard at /dashboard). */
  readonly mounts?: readonly HttpMount[];
}

export interface DevHost {
  /** `http://127.0.0.1:<port>`, without the route prefix. */
  readonly url: string;
  readonly settings: HostSettings;
  /** With `queueListener: 'thread'`: the listener's OS thread id (Linux), for per-thread CPU in benchmarks. */
  readonly queueListenerThreadId?: number;
  /**
   * Stops taking HTTP requests: the port closes (new connections are refused) and a request arriving
   * on a connection already open is answered 503 with Retry-After, so no job is accepted after this.
   * Resolves once the requests already running have answered (within the shutdown grace). Queue
   * triggers keep running until close().
   */
  stopAccepting(): Promise<void>;
  /** Runs a timer function now, as its schedule would (a run already going is awaited instead). */
  runTimer(name: string): Promise<void>;
  /** Stops accepting, lets in-flight handlers finish (or abandons their messages), then closes. */
  close(): Promise<void>;
}

/**
 * Why 503 rather than a reset: the client sent its request, so dropping the connection would leave it
 * unable to tell whether the job was taken; 503 says it was not, and Retry-After when to try again
 * (with the same Idempotency-Key, which makes the retry safe).
 */
const SHUTTING_DOWN_RETRY_AFTER_S = 5;

export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const logger = options.log ?? consoleLogger;
  const settings = options.hostSettings ?? readHostSettings();
  const httpDefinitions = options.definitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http');
  const queueDefinitions = options.definitions.filter(
    (d): d is QueueFunctionDefinition => d.kind === 'serviceBusQueue',
  );

  const listener = createHttpListener({
    definitions: httpDefinitions,
    routePrefix: settings.routePrefix,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    logger,
    ...(options.mounts ? { mounts: options.mounts } : {}),
  });
  const responding = new Set<ServerResponse>();
  let accepting = true;
  let idle: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (!accepting) {
      writeProblem(
        res,
        {
          status: 503,
          title: 'Service Unavailable',
          detail: 'The host is shutting down and accepts no new requests.',
        },
        { 'retry-after': String(SHUTTING_DOWN_RETRY_AFTER_S), connection: 'close' },
      );
      return;
    }
    responding.add(res);
    res.on('close', () => {
      responding.delete(res);
      if (responding.size === 0) idle?.();
    });
    listener(req, res).catch((error: unknown) => {
      logger.error('http.host_failed', describeError(error));
      if (!res.headersSent) writeProblem(res, { status: 500, title: 'Internal Server Error' });
      else res.destroy();
    });
  });
  answerClientErrors(server, logger);
  // As the Functions host's Kestrel does (130 s). Node's 5 s default closes idle keep-alive sockets that
  // clients still hold, and a request written to one as it closes fails with ECONNRESET before the host
  // sees it (5 of 50,000 soak submissions).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;

  const timers = startTimers(
    options.definitions.filter((d): d is TimerFunctionDefinition => d.kind === 'timer'),
    logger,
    options.timerIntervalMs,
  );
  let triggers: QueueTriggers | undefined;
  if (queueDefinitions.length > 0) {
    triggers = await startQueueTriggers(options, queueDefinitions, settings.serviceBus, logger).catch(
      async (error: unknown) => {
        server.close();
        await timers.close();
        throw error;
      },
    );
  }
  logger.info('devhost.started', {
    url,
    routePrefix: settings.routePrefix,
    httpFunctions: httpDefinitions.length,
    queueFunctions: queueDefinitions.map((d) => `${d.name}<-${d.queueName}`).join(','),
    maxConcurrentCalls: settings.serviceBus.maxConcurrentCalls,
    ...(queueDefinitions.length > 0 ? { queueListener: options.queueListener ?? 'in-process' } : {}),
  });

  const graceMs = options.shutdownGraceMs ?? 30_000;
  let httpClosed: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const stopAccepting = async () => {
    accepting = false;
    httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive sockets would hold close() open; busy ones close right after their response.
    server.closeIdleConnections();
    for (const res of responding) if (!res.headersSent) res.setHeader('connection', 'close');
    if (responding.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    logger.info('devhost.stopped_accepting', { url, unanswered: responding.size });
  };
  let closed: Promise<void> | undefined;
  const close = async () => {
    await (stopped ??= stopAccepting());
    await timers.close();
    await triggers?.close(graceMs);
    const forced = setTimeout(() => server.closeAllConnections(), graceMs);
    await httpClosed;
    clearTimeout(forced);
    logger.info('devhost.stopped', { url });
  };
  return {
    url,
    settings,
    ...(triggers?.listenerThreadId === undefined ? {} : { queueListenerThreadId: triggers.listenerThreadId }),
    stopAccepting: () => (stopped ??= stopAccepting()),
    runTimer: (name) => timers.run(name),
    close: () => (closed ??= close()),
  };
}

interface QueueTriggers {
  /** The listener thread's OS thread id, when the receivers run there (Linux). */
  readonly listenerThreadId?: number;
  /** Stops receiving, lets running handlers finish within `graceMs` (or gives their messages back). */
  close(graceMs: number): Promise<void>;
}

/** The queue triggers' receivers: one runner per queue on this thread, or all of them on a listener thread. */
async function startQueueTriggers(
  options: DevHostOptions,
  definitions: readonly QueueFunctionDefinition[],
  settings: ServiceBusHostSettings,
  logger: DevHostLogger,
): Promise<QueueTriggers> {
  const connectionString = options.serviceBusConnectionString;
  const identity = options.serviceBusIdentity;
  if (options.queueListener === 'thread') {
    if (!connectionString)
      throw new Error('startDevHost: the listener thread needs serviceBusConnectionString');
    const listener = await startQueueListener({ connectionString, definitions, settings, logger });
    return {
      ...(listener.osThreadId === undefined ? {} : { listenerThreadId: listener.osThreadId }),
      close: (graceMs) => listener.close(graceMs),
    };
  }
  const connection: ServiceBusConnection | undefined = connectionString ? { connectionString } : identity;
  if (!connection)
    throw new Error('startDevHost: queue triggers need serviceBusConnectionString or serviceBusIdentity');
  const client = createTriggerClient(connection, settings.clientRetry);
  const runners = definitions.map((definition) => startQueueRunner({ client, definition, settings, logger }));
  return {
    async close(graceMs) {
      await Promise.all(runners.map((runner) => runner.close(graceMs)));
      await closeWithin(client.close(), (outcome) =>
        logger.warn('queue.client_close_abandoned', { outcome }),
      );
    },
  };
}
