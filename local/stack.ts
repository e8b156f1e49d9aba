/**
 * The whole platform on one machine: embedded Cosmos DB, the Service Bus emulator, the model simulator,
 * Azurite (Blob Storage, for files), a webhook receiver, and the dev host running the same function definitions as Azure. Used by
 * `npm start` (local/start.ts), the end-to-end tests and the benchmarks.
 */
import type { Config } from '../shared/config/index.js';
import type { Tenant } from '../shared/tenancy/tenant.js';
import type { Logger } from '../shared/telemetry/logger.js';
import type { AppServices } from '../functions/app-services.js';
import type { EmbeddedCosmos } from './cosmos/server.js';
import type { DevHost } from './devhost/index.js';
import type { GlobalBatchTiming, ModelSimulator, SimulatedDeployment } from './model-simulator/index.js';
import type { QueueDefinition, ServiceBusEmulator } from './servicebus/index.js';
import type { DashboardTelemetry } from './dashboard/index.js';
import { startAzurite, type AzuriteEmulator } from './azurite/index.js';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { devApiKey, devWebhookKek } from './dev-key.js';
import { drainQueues } from './drain.js';
import { startStackEmulators, type EmulatorThreading } from './threads/stack-emulators.js';
import { startHostInstances, type HostInstanceStats } from './threads/host-instances.js';

export type { HostInstanceStats } from './threads/host-instances.js';

/**
 * The platform's modules, loaded while the emulators start: with emulator threads the worker imports
 * and starts them on the other core meanwhile, so `npm start` pays for the two start-ups once, not in
 * sequence (~1 s saved here).
 */
async function loadPlatform() {
  const [
    cosmosSdk,
    apiKeys,
    apiKeyStore,
    configModule,
    tenantStore,
    composition,
    registry,
    servicesModule,
    resources,
    devhost,
  ] = await Promise.all([
    import('@azure/cosmos'),
    import('../shared/auth/api-keys.js'),
    import('../shared/cosmos/api-key-store.js'),
    import('../shared/config/index.js'),
    import('../shared/cosmos/tenant-store.js'),
    import('../functions/composition.js'),
    import('../functions/registry.js'),
    import('../functions/services.js'),
    import('./cosmos/resources.js'),
    import('./devhost/index.js'),
  ]);
  return {
    CosmosClient: cosmosSdk.CosmosClient,
    generateApiKey: apiKeys.generateApiKey,
    CosmosApiKeyStore: apiKeyStore.CosmosApiKeyStore,
    parseConfig: configModule.parseConfig,
    CosmosTenantStore: tenantStore.CosmosTenantStore,
    createServices: composition.createServices,
    functionDefinitions: registry.functionDefinitions,
    useServices: servicesModule.useServices,
    closeServices: servicesModule.closeServices,
    ensureCosmosResources: resources.ensureCosmosResources,
    readHostSettings: devhost.readHostSettings,
    startDevHost: devhost.startDevHost,
  };
}

export const DEV_TENANT_ID = 'dev';
const SIMULATOR_KEY = 'local-simulator-key';

export interface LocalStackOptions {
  /** Dev host HTTP port; 7071 like `func start`, 0 for a free one (tests). */
  readonly port?: number;
  /** Service Bus emulator port; 0 for a free one. */
  readonly serviceBusPort?: number;
  /**
   * The emulator's queues instead of infra/definitions/queues.json: a chaos run shrinks lockDuration so
   * handlers outlive their locks, and maxDeliveryCount so redeliveries reach the dead-letter sub-queue.
   */
  readonly serviceBusQueues?: readonly QueueDefinition[];
  readonly deployments?: readonly SimulatedDeployment[];
  /** A Global Batch deployment of one model alias, so work with a far deadline is routed to it. */
  readonly globalBatch?: LocalGlobalBatch;
  readonly modelLatency?: { readonly timeToFirstTokenMs: number; readonly perTokenMs: number };
  /** Extra environment for the platform's config (e.g. JOB_MAX_ATTEMPTS for a test). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** host.json overrides, e.g. a different maxConcurrentCalls for a benchmark. */
  readonly maxConcurrentCalls?: number;
  /**
   * Which functions the dev host runs: all of them by default; `http` runs the HTTP routes without the
   * queue triggers (a benchmark measuring the front door alone; submitted jobs wait in `invoke`).
   */
  readonly functions?: 'all' | 'http';
  /**
   * Run embedded Cosmos DB, the Service Bus emulator and the model simulator on worker threads, like
   * the separate services they stand for, instead of on this event loop (local/threads/). `true` picks
   * the measured default layout; 'one' or 'each' choose one thread for all or one per emulator. The
   * `cosmos`, `serviceBus` and `model` handles keep their interfaces in both modes.
   */
  readonly emulatorThreads?: EmulatorThreading;
  /**
   * Functions host instances, like a Function App scaled out: the main one on this thread plus n - 1
   * on worker threads, each with its own services, all competing for the same queues
   * (local/threads/host-instances.ts). 1 by default (tests, `npm start`, benchmarks that instrument
   * this thread's clients).
   */
  readonly hostInstances?: number;
  /**
   * With more than one instance, whether the main instance runs the queue triggers too ('all') or
   * serves HTTP only; MAIN_INSTANCE_FUNCTIONS (measured) by default.
   */
  readonly mainInstanceFunctions?: 'all' | 'http';
  /**
   * Where the main instance's queue triggers receive: on its thread ('in-process', the default: tests
   * inject faults there) or on a listener thread ('thread'), as the Functions host receives in its own
   * process and the Node.js worker only runs the functions (local/threads/queue-listener.ts).
   */
  readonly queueListener?: 'in-process' | 'thread';
  /**
   * A folder that keeps Cosmos DB's documents and the queues' messages between runs (`npm start --
   * --data-dir .data`): restored at start, written on close. In memory only when absent.
   */
  readonly dataDir?: string;
  /**
   * On close, how long the queue triggers may keep working after HTTP stopped accepting, until no
   * message is ready or locked (scheduled ones are not waited for); 10 s by default (0 with
   * `functions: 'http'`), 0 to stop at once.
   */
  readonly drainMs?: number;
  /**
   * The live dashboard at `<host>/dashboard` (local/dashboard/): registers the OpenTelemetry SDK
   * globally with in-process exporters. Off by default, so a test that registered its own SDK keeps
   * it (with both, start-up fails rather than replacing it); `npm start` turns it on. Spans and metrics
   * of worker-thread host instances (`hostInstances` > 1) do not reach it.
   */
  readonly dashboard?: boolean;
}

/** What a data folder gave back at start. */
export interface Restored {
  readonly documents: number;
  readonly messages: number;
  readonly deadLettered: number;
}

export interface LocalStack {
  /** `http://127.0.0.1:<port>/api` */
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly tenantId: string;
  readonly config: Config;
  readonly env: Readonly<Record<string, string>>;
  readonly services: AppServices;
  readonly cosmos: EmbeddedCosmos;
  readonly serviceBus: ServiceBusEmulator;
  readonly model: ModelSimulator;
  /** Azurite's blob service (files): its endpoint and the dev account's connection string. */
  readonly storage: AzuriteEmulator;
  readonly host: DevHost;
  /** `http://127.0.0.1:<port>/dashboard`, with `dashboard: true`. */
  readonly dashboardUrl?: string;
  /** Per host instance (the main one first): finished invocations per queue, event loop time; readable after close(). */
  instances(): readonly HostInstanceStats[];
  /** Bytes of JS heap the emulator threads use; undefined with the emulators on the main thread. */
  emulatorHeapUsed(): number | undefined;
  /** The data folder (absolute), when the stack keeps its data between runs. */
  readonly dataDir?: string;
  /** What was restored from the data folder; undefined when in memory or the folder was empty. */
  readonly restored?: Restored;
  /** Issues another tenant and key (isolation tests, the second tenant of a fairness run). */
  addTenant(tenantId: string): Promise<string>;
  close(): Promise<void>;
}

const DEFAULT_DEPLOYMENTS: readonly SimulatedDeployment[] = [
  { name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 1_000_000 },
];

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const closers: Array<() => Promise<void>> = [];
  let instancesStarting: Promise<unknown> | undefined;
  let storageStarting: Promise<AzuriteEmulator> | undefined;
  let telemetryStarting: Promise<DashboardTelemetry> | undefined;
  const platform = loadPlatform();
  // Awaited below; if the emulators fail first, their error is the one reported.
  platform.catch(() => undefined);
  try {
    const deployments = options.deployments ?? DEFAULT_DEPLOYMENTS;
    // Its imports load while the emulators start; awaited before any client exists, so the Azure
    // SDKs' spans are traced from their first call.
    telemetryStarting = options.dashboard ? startDashboardTelemetry(closers) : undefined;
    telemetryStarting?.catch(() => undefined);
    const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    // Its own process: it starts on the other core while this one starts the rest.
    storageStarting = startAzurite(dataDir ? { location: join(dataDir, 'azurite') } : {});
    storageStarting.then(
      (storage) => closers.push(() => storage.close()),
      () => undefined,
    );
    const { cosmos, serviceBus, model, heapUsed } = await startStackEmulators(
      options.emulatorThreads ?? false,
      {
        cosmos: dataDir ? { dataFile: join(dataDir, 'cosmos.json') } : {},
        serviceBus: {
          port: options.serviceBusPort ?? 0,
          ...(options.serviceBusQueues ? { queues: [...options.serviceBusQueues] } : {}),
          ...(dataDir ? { dataFile: join(dataDir, 'servicebus.json') } : {}),
        },
        model: {
          apiKey: SIMULATOR_KEY,
          deployments: [...deployments, ...simulatedBatchDeployments(options.globalBatch, deployments)],
          ...(options.globalBatch?.timing ? { globalBatch: options.globalBatch.timing } : {}),
          ...(options.modelLatency ? { latency: options.modelLatency } : {}),
        },
      },
      (close) => closers.push(close),
    );

    const {
      CosmosClient,
      generateApiKey,
      CosmosApiKeyStore,
      parseConfig,
      CosmosTenantStore,
      createServices,
      functionDefinitions,
      useServices,
      closeServices,
      ensureCosmosResources,
      readHostSettings,
      startDevHost,
    } = await platform;
    const storage = await storageStarting;
    const telemetry = await telemetryStarting;
    const env = localEnvironment({
      cosmos,
      serviceBus,
      model,
      storage,
      deployments,
      ...(options.globalBatch ? { globalBatch: options.globalBatch } : {}),
      extra: options.env ?? {},
    });
    const config = parseConfig(env);
    // The other instances load and start on their threads while this one sets up.
    const instances = startHostInstances(
      {
        count: options.hostInstances ?? 1,
        env,
        definitions: functionDefinitions,
        functions: options.functions ?? 'all',
        ...(options.mainInstanceFunctions ? { mainFunctions: options.mainInstanceFunctions } : {}),
        ...(options.maxConcurrentCalls ? { maxConcurrentCalls: options.maxConcurrentCalls } : {}),
      },
      (close) => closers.push(close),
    );
    instancesStarting = instances.catch(() => undefined);
    const cosmosClient = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    closers.push(() => Promise.resolve(cosmosClient.dispose()));
    // Locally we create what Bicep declares in Azure, from the same JSON.
    await ensureCosmosResources(cosmosClient);

    const services = createServices(config, options.logger ? { logger: options.logger } : {});
    useServices(services);
    closers.push(() => closeServices());

    const database = cosmosClient.database(config.COSMOS_DATABASE);
    const tenants = new CosmosTenantStore(database.container('tenants'));
    const keys = new CosmosApiKeyStore(database.container('tenants'));
    const pepper = config.API_KEY_PEPPER ? { pepper: config.API_KEY_PEPPER } : {};
    const addTenant = async (tenantId: string): Promise<string> => {
      const now = new Date();
      await tenants.create(devTenant(tenantId, now));
      const issued = generateApiKey({ tenantId, env: 'test', name: 'local-dev', now, ...pepper });
      await keys.create(issued.record);
      return issued.key;
    };
    // The dev tenant's key is derived, so it is the same after a restart; a data folder may already
    // hold the tenant and the key's record.
    const devKey = devApiKey({
      tenantId: DEV_TENANT_ID,
      environment: config.PIPELINE_ENVIRONMENT,
      now: new Date(),
      ...pepper,
    });
    if (!(await tenants.get(DEV_TENANT_ID))) await tenants.create(devTenant(DEV_TENANT_ID, new Date()));
    if (!(await keys.get(devKey.record.keyId))) await keys.create(devKey.record);
    const apiKey = devKey.key;

    const dashboard = telemetry
      ? await mountDashboard(telemetry, { serviceBus, model, deployments }, closers)
      : undefined;
    const baseSettings = readHostSettings();
    const { mainDefinitions, countMain, stats } = await instances;
    const host = await startDevHost({
      definitions: mainDefinitions,
      port: options.port ?? 7071,
      serviceBusConnectionString: serviceBus.connectionString,
      hostSettings: options.maxConcurrentCalls
        ? {
            ...baseSettings,
            serviceBus: { ...baseSettings.serviceBus, maxConcurrentCalls: options.maxConcurrentCalls },
          }
        : baseSettings,
      log: countMain(services.logger),
      ...(options.queueListener ? { queueListener: options.queueListener } : {}),
      ...(dashboard ? { mounts: [dashboard] } : {}),
    });
    closers.push(() => host.close());
    // Stop taking jobs first; let what was accepted move on through its stages for a while.
    // Without queue triggers here nothing would drain the queues: do not wait for them.
    const drainMs = options.drainMs ?? ((options.functions ?? 'all') === 'all' ? 10_000 : 0);
    closers.push(async () => {
      await host.stopAccepting();
      if (drainMs > 0) await drainQueues(() => serviceBus.stats(), drainMs);
    });
    const restored: Restored | undefined =
      cosmos.restored || serviceBus.restored
        ? {
            documents: cosmos.restored?.documents ?? 0,
            messages: serviceBus.restored?.messages ?? 0,
            deadLettered: serviceBus.restored?.deadLettered ?? 0,
          }
        : undefined;

    return {
      apiUrl: `${host.url}/api`,
      apiKey,
      tenantId: DEV_TENANT_ID,
      config,
      env,
      services,
      cosmos,
      serviceBus,
      model,
      storage,
      host,
      ...(dashboard ? { dashboardUrl: `${host.url}${dashboard.prefix}` } : {}),
      ...(dataDir ? { dataDir } : {}),
      ...(restored ? { restored } : {}),
      instances: stats,
      emulatorHeapUsed: heapUsed,
      addTenant,
      close: () => closeAll(closers),
    };
  } catch (error) {
    // Worker instances still starting hand over their closers first, so none is left running.
    await instancesStarting;
    await closeAll(closers);
    // Azurite may have started after the failure that brought us here: its closer came too late.
    await storageStarting?.then((storage) => storage.close()).catch(() => undefined);
    // So may the dashboard's telemetry (uninstall is idempotent).
    await telemetryStarting?.then((telemetry) => telemetry.uninstall()).catch(() => undefined);
    throw error;
  }
}

async function startDashboardTelemetry(closers: Array<() => Promise<void>>) {
  const { installDashboardTelemetry } = await import('./dashboard/index.js');
  const telemetry = await installDashboardTelemetry();
  closers.push(() => telemetry.uninstall());
  return telemetry;
}

/** The dashboard's sampler reads the emulators, so it stops before they close (closers run in reverse). */
async function mountDashboard(
  telemetry: DashboardTelemetry,
  sources: {
    serviceBus: ServiceBusEmulator;
    model: ModelSimulator;
    deployments: readonly SimulatedDeployment[];
  },
  closers: Array<() => Promise<void>>,
) {
  const { startDashboard } = await import('./dashboard/index.js');
  const dashboard = startDashboard({
    telemetry,
    serviceBus: sources.serviceBus,
    model: sources.model,
    // As localEnvironment names them: the pipeline's `local-<name>` is the simulator's `<name>`.
    deployments: sources.deployments.map((deployment) => ({
      model: deployment.name,
      deployment: `local-${deployment.name}`,
      simulatorName: deployment.name,
      tpm: deployment.tpm,
    })),
  });
  closers.push(() => dashboard.close());
  return dashboard;
}

/** Closes in reverse order of start: the host first (in-flight work finishes), emulators last. */
async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) {
    await close().catch(() => undefined);
  }
  closers.length = 0;
}

function localEnvironment(input: {
  cosmos: EmbeddedCosmos;
  serviceBus: ServiceBusEmulator;
  model: ModelSimulator;
  storage: AzuriteEmulator;
  deployments: readonly SimulatedDeployment[];
  globalBatch?: LocalGlobalBatch;
  extra: Readonly<Record<string, string>>;
}): Record<string, string> {
  const batch = input.globalBatch;
  const pools = Object.fromEntries(
    input.deployments.map((deployment) => [
      deployment.name,
      [
        ...(batch?.alias === deployment.name
          ? [
              {
                name: `local-${deployment.name}-batch`,
                kind: 'globalBatch',
                endpoint: input.model.url,
                deployment: `${deployment.name}-batch`,
                model: deployment.model ?? deployment.name,
                auth: 'apiKey',
                enqueuedTokens: batch.enqueuedTokens ?? DEFAULT_ENQUEUED_TOKENS,
                ...(batch.turnaroundSeconds ? { turnaroundSeconds: batch.turnaroundSeconds } : {}),
              },
            ]
          : []),
        {
          name: `local-${deployment.name}`,
          kind: 'azure',
          endpoint: input.model.url,
          deployment: deployment.name,
          model: deployment.model ?? deployment.name,
          auth: 'apiKey',
          tpm: deployment.tpm,
          ...(deployment.rpm ? { rpm: deployment.rpm } : {}),
        },
      ],
    ]),
  );
  return {
    PIPELINE_ENVIRONMENT: 'local',
    ServiceBusConnection: input.serviceBus.connectionString,
    COSMOS_ENDPOINT: input.cosmos.endpoint,
    COSMOS_KEY: input.cosmos.key,
    STORAGE_CONNECTION_STRING: input.storage.connectionString,
    MODEL_POOLS: JSON.stringify(pools),
    MODEL_API_KEY: SIMULATOR_KEY,
    // One key for every host instance and every restart: see devWebhookKek.
    WEBHOOK_KEK_BASE64: devWebhookKek(),
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
    PUBLIC_BASE_URL: 'http://localhost:7071',
    ...input.extra,
  };
}

export interface LocalGlobalBatch {
  /** The model alias (a simulated deployment's name) it serves. */
  readonly alias: string;
  readonly enqueuedTokens?: number;
  /** How long a batch may take before its lines fall back to real-time (default: the platform's). */
  readonly turnaroundSeconds?: number;
  /** The simulator's batch time (validating, processing, finalizing; what `24h` lasts). */
  readonly timing?: Partial<GlobalBatchTiming>;
}

const DEFAULT_ENQUEUED_TOKENS = 5_000_000;

/** The simulator's GlobalBatch deployment `<alias>-batch`, of the same model as the alias's deployment. */
function simulatedBatchDeployments(
  batch: LocalGlobalBatch | undefined,
  deployments: readonly SimulatedDeployment[],
): SimulatedDeployment[] {
  const of = batch && deployments.find((d) => d.name === batch.alias);
  if (!batch || !of) return [];
  return [
    {
      name: `${batch.alias}-batch`,
      model: of.model ?? of.name,
      tpm: 1,
      sku: 'GlobalBatch',
      enqueuedTokens: batch.enqueuedTokens ?? DEFAULT_ENQUEUED_TOKENS,
    },
  ];
}

function devTenant(tenantId: string, now: Date): Tenant {
  return {
    id: tenantId,
    name: `Local ${tenantId}`,
    status: 'active',
    allowedModels: ['*'],
    quotas: {
      submissionsPerMinute: 100_000,
      maxJobsInFlight: 100_000,
      dailyTokenBudget: 10_000_000_000,
      budgetPolicy: 'refuse',
      maxRequestBytes: 1024 * 1024,
      maxMessages: 256,
    },
    webhookEndpointIds: [],
    retentionDays: 7,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}
