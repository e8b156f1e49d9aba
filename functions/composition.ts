/**
 * The composition root: real adapters from configuration. Azure uses managed identity for Cosmos DB,
 * Service Bus and Azure OpenAI; keys and connection strings exist only for the local emulators.
 */
import { availableParallelism } from 'node:os';
import { CosmosClient, type Database } from '@azure/cosmos';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createAuthenticator } from '../shared/auth/authenticate.js';
import { apiKeyEnvLabel, createApiKeyVerifier } from '../shared/auth/api-keys.js';
import { CosmosApiKeyStore } from '../shared/cosmos/api-key-store.js';
import { entraVerifierFromConfig } from '../shared/auth/entra-config.js';
import { getConfig, type Config } from '../shared/config/index.js';
import { ServiceBusDeadLetters } from '../shared/messaging/servicebus-dead-letters.js';
import { ServiceBusPublisher } from '../shared/messaging/servicebus-publisher.js';
import { closeWithin } from '../shared/messaging/bounded-close.js';
import { modelSettingsFromConfig } from '../shared/config/model-settings.js';
import { createModelClient } from '../shared/model/client.js';
import type { ModelUsage } from '../shared/model/port.js';
import { capacityOfDeployment } from '../shared/model/settings.js';
import { capacitySweepDeps, invokeWithCapacity, parkedLinesOnCancel } from './capacity-services.js';
import { costOf } from '../shared/model/usage.js';
import type { PipelineSettings, StageDeps } from '../shared/pipeline/deps.js';
import { CosmosJobStore } from '../shared/cosmos/job-store.js';
import { CosmosFinishedJobs } from '../shared/cosmos/finished-jobs.js';
import { JobWatcher } from '../shared/watch/job-watcher.js';
import { watchedJobStore } from '../shared/watch/watched-job-store.js';
import { CosmosCompletionRecords } from '../shared/cosmos/completion-records.js';
import { modelCallBoundMs } from '../shared/pipeline/invoke-repeat.js';
import { CosmosQuotaLeaseStore } from '../shared/cosmos/quota-lease-store.js';
import { createTracedHttpClient } from '../shared/cosmos/traced-http-client.js';
import { consoleSink, createLogger, type Logger } from '../shared/telemetry/logger.js';
import { CosmosUsageReader } from '../shared/cosmos/usage-reader.js';
import { CosmosUsageRollups } from '../shared/cosmos/usage-rollups.js';
import { HeavyWorkPool } from '../shared/work/heavy-work-pool.js';
import { pooledPromptTokenCounter } from '../shared/work/pooled-prompt-tokens.js';
import { pooledSchemaWork } from '../shared/work/pooled-schema-work.js';
import { createCosmosSecurityServices } from '../shared/cosmos/security-services.js';
import { CosmosWebhookStore } from '../shared/cosmos/webhook-store.js';
import { EndpointCachingStore } from '../shared/webhooks/endpoint-cache.js';
import type { DeliverStageDeps } from '../shared/pipeline/deliver.js';
import { webhookEndpointCheck } from '../shared/webhooks/endpoint-check.js';
import { createWebhookHttpClient } from '../shared/webhooks/http-client.js';
import { keyWrapperFromConfig } from '../shared/webhooks/key-vault-wrapper.js';
import { webhookSettingsFromConfig } from '../shared/webhooks/settings.js';
import { webhookSubscribers } from '../shared/webhooks/subscribers.js';
import { createBlobServiceClient } from '../shared/blob/blob-service.js';
import { BlobFileStore } from '../shared/blob/file-store.js';
import { BlobPayloadStore } from '../shared/blob/payload-store.js';
import type { AppServices, CoreServices } from './app-services.js';
import { batchDeps } from './batch-services.js';
import { ServiceBusBulkSender } from '../shared/batches/servicebus-bulk-sender.js';
import { invocationLogSink } from './invocation-log.js';

/** Must equal the queues' duplicateDetectionHistoryTimeWindow (infra/definitions/queues.json). */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

export interface ServiceOverrides {
  readonly logger?: Logger;
}

export function createServices(config: Config = getConfig(), overrides: ServiceOverrides = {}): AppServices {
  const logger =
    overrides.logger ?? createLogger({ level: config.LOG_LEVEL, sink: invocationLogSink(consoleSink) });
  let credential: TokenCredential | undefined;
  const azureCredential = () =>
    (credential ??= new DefaultAzureCredential(
      config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {},
    ));

  const cosmos = createCosmosClient(config, azureCredential);
  const database = cosmos.database(config.cosmos.database);
  const serviceBus = createServiceBusClient(config, azureCredential);
  // Terminal states written here reach this host's waiting clients at once; the rest by its shared poll.
  const jobWatcher = jobWatcherOf(config, database, logger);
  // Keyless in Azure (STORAGE_BLOB_ENDPOINT + the identity); the client is made on the first blob call, so
  // without Blob Storage configured only the Files API and bodies over the claim-check threshold fail.
  let blobService: BlobServiceClient | undefined;
  const blobs = () => (blobService ??= createBlobServiceClient(config.storage, azureCredential));
  const payloads = new BlobPayloadStore(blobs);
  // Requests over the claim-check threshold are kept beside the claim checks, not in the job document.
  const requestBodies = { store: payloads, thresholdBytes: config.CLAIM_CHECK_THRESHOLD_BYTES };
  const jobs = watchedJobStore(new CosmosJobStore(database.container('jobs'), requestBodies), jobWatcher);
  const publisher = new ServiceBusPublisher(serviceBus, payloads, config.CLAIM_CHECK_THRESHOLD_BYTES);
  const bulkSender = new ServiceBusBulkSender(serviceBus, payloads, config.CLAIM_CHECK_THRESHOLD_BYTES);
  const heavyWork = new HeavyWorkPool({
    threads: config.HEAVY_WORK_THREADS ?? Math.max(1, availableParallelism() - 1),
    perTenant: config.HEAVY_WORK_PER_TENANT,
    maxQueue: 64,
    timeoutMs: config.HEAVY_WORK_TIMEOUT_MS,
  });
  const model = createModelClient(modelSettingsFromConfig(config), {
    credential: azureCredential(),
    logger: modelLogger(logger),
    promptTokens: pooledPromptTokenCounter(heavyWork, config.TOKEN_COUNT_INLINE_CHARS),
    // Used only when MODEL_QUOTA_COORDINATION is on (the default in Azure).
    quotaLeases: new CosmosQuotaLeaseStore(database.container('tenants')),
  });
  const settings: PipelineSettings = {
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    deadlineMs: config.JOB_DEADLINE_SECONDS * 1000,
    ...(config.JOB_EXPIRES_AFTER_SECONDS !== undefined
      ? { defaultExpiresAfterMs: config.JOB_EXPIRES_AFTER_SECONDS * 1000 }
      : {}),
    retentionSeconds: config.JOB_RETENTION_DAYS * 86_400,
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
  };
  const stage: StageDeps = {
    jobs,
    publisher,
    logger,
    clock: Date.now,
    settings,
    schemas: pooledSchemaWork(heavyWork),
    ...parkedLinesOnCancel(config, database),
  };
  const apiKeys = createApiKeyVerifier({
    store: new CosmosApiKeyStore(database.container('tenants')),
    expectedEnv: apiKeyEnvLabel(config.PIPELINE_ENVIRONMENT),
    ...(config.API_KEY_PEPPER ? { pepper: config.API_KEY_PEPPER } : {}),
  });
  const entra = entraVerifierFromConfig(config);
  // Priced at the capacity that answered: a Global Batch deployment's lines at its batch prices.
  const priced = (usage: ModelUsage, modelName: string, deployment: string) =>
    costOf(usage, modelName, config.MODEL_PRICES, capacityOfDeployment(config.MODEL_POOLS, deployment));
  return composeServices({
    config,
    logger,
    credential: azureCredential,
    database,
    jobs,
    jobWatcher,
    payloads,
    publisher,
    bulkSender,
    deadLetters: new ServiceBusDeadLetters(serviceBus),
    authenticator: createAuthenticator({ apiKeys, ...(entra ? { entra } : {}) }),
    usage: new CosmosUsageReader(database.container('jobs')),
    usageRollups: new CosmosUsageRollups(database.container('tenants'), database.container('jobs')),
    fileStore: new BlobFileStore(blobs),
    modelAliases: () => model.aliases(),
    stage,
    invoke: {
      ...stage,
      model,
      completions: new CosmosCompletionRecords(database.container('payloads')),
      costOf: priced,
      modelCallBoundMs: modelCallBoundMs(config.MODEL_TIMEOUT_MS, config.MODEL_POOLS),
    },
    // A model without a configured price is flagged on the job (costUnknown), never priced at 0 silently.
    postprocess: { ...stage, costOf: priced },
    async close() {
      jobWatcher.close();
      await bulkSender.close();
      await publisher.close();
      await closeWithin(serviceBus.close(), (outcome) =>
        logger.warn('servicebus.close_abandoned', { outcome }),
      );
      await model.leave();
      cosmos.dispose();
      model.close();
      await heavyWork.close();
    },
  });
}

/**
 * The domain services derived from the core: the security domain, the webhook adapters and the stage
 * dependencies that need the webhook store. Each is created on first use and kept, so an instance that
 * only runs, say, the invoke stage never builds the webhook client, and none of this runs before the
 * first invocation asks for it. They hold no connection of their own (the core's clients do), so the
 * core's close() closes everything.
 */
export function composeServices(core: CoreServices): AppServices {
  const { config } = core;
  const security = lazy(() =>
    createCosmosSecurityServices(core.database, {
      apiKeyEnv: apiKeyEnvLabel(config.PIPELINE_ENVIRONMENT),
      ...(config.API_KEY_PEPPER ? { pepper: config.API_KEY_PEPPER } : {}),
    }),
  );
  const webhooks = lazy((): DeliverStageDeps => {
    const settings = webhookSettingsFromConfig(config);
    return {
      // Endpoint lists cached a few seconds: no query per job in deliver (shared/webhooks/endpoint-cache.ts).
      // The same store serves the webhook API, so an endpoint registered on this instance counts at once.
      store: new EndpointCachingStore(new CosmosWebhookStore(core.database.container('webhooks'))),
      // A Key Vault key (wrap/unwrap by the managed identity) when WEBHOOK_KEK_KEY_ID is set, else the
      // local KEK; records wrapped by the local KEK stay readable after the switch.
      keys: keyWrapperFromConfig(config, core.credential),
      settings,
      clock: Date.now,
      http: createWebhookHttpClient({
        policy: settings.policy,
        timeoutMs: settings.timeoutMs,
        maxResponseBytes: settings.maxResponseBytes,
      }),
      publisher: core.publisher,
      logger: core.logger.child({ component: 'webhooks' }),
    };
  });
  const accept = lazy(() => ({ ...core.stage, webhookEndpoints: webhookEndpointCheck(webhooks().store) }));
  const events = lazy(() => ({ ...core.stage, subscribers: webhookSubscribers(webhooks().store) }));
  const files = {
    files: core.fileStore,
    limits: {
      maxBytes: config.FILES_MAX_BYTES,
      maxLines: config.FILES_MAX_LINES,
      maxLineBytes: config.FILES_MAX_LINE_BYTES,
    },
    clock: Date.now,
  };
  const batches = lazy(() => batchDeps(core, files, webhooks, events));
  const capacity = lazy(() => capacitySweepDeps(core));
  // With a Global Batch deployment configured, the invoke stage routes each job by its deadline.
  const invoke = invokeWithCapacity(core);
  // A host that wires its own core without a watcher gets one that learns only by its shared poll.
  const jobWatcher = lazy(() => core.jobWatcher ?? jobWatcherOf(config, core.database, core.logger));
  return {
    ...core,
    get jobWatcher() {
      return jobWatcher();
    },
    files,
    get batches() {
      return batches();
    },
    invoke,
    get capacity() {
      return capacity();
    },
    get security() {
      return security();
    },
    get webhooks() {
      return webhooks();
    },
    get accept() {
      return accept();
    },
    get events() {
      return events();
    },
  };
}

/** The value `create` returns, created on the first call and reused after. */
function lazy<T>(create: () => T): () => T {
  let created: { readonly value: T } | undefined;
  return () => (created ??= { value: create() }).value;
}

function jobWatcherOf(config: Config, database: Database, logger: Logger): JobWatcher {
  return new JobWatcher(new CosmosFinishedJobs(database.container('jobs')), {
    intervalMs: config.JOB_WATCH_INTERVAL_MS,
    logger: logger.child({ component: 'job-watch' }),
  });
}

function createCosmosClient(config: Config, credential: () => TokenCredential): CosmosClient {
  if (config.cosmos.kind === 'key') {
    // Local emulator only (config refuses COSMOS_KEY in Azure). One endpoint: no region discovery.
    return new CosmosClient({
      endpoint: config.cosmos.endpoint,
      key: config.cosmos.key,
      connectionPolicy: { enableEndpointDiscovery: false },
      httpClient: createTracedHttpClient(),
    });
  }
  return new CosmosClient({
    endpoint: config.cosmos.endpoint,
    aadCredentials: credential(),
    httpClient: createTracedHttpClient(),
  });
}

function createServiceBusClient(config: Config, credential: () => TokenCredential): ServiceBusClient {
  // SDK-level retries stay short: the stages turn longer delays into scheduled messages.
  const retryOptions = { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5_000, timeoutInMs: 30_000 };
  if (config.serviceBus.kind === 'connectionString')
    return new ServiceBusClient(config.serviceBus.connectionString, { retryOptions });
  return new ServiceBusClient(config.serviceBus.fullyQualifiedNamespace, credential(), { retryOptions });
}

function modelLogger(logger: Logger) {
  const flatten = (fields: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(fields).map(([key, value]) => [
        key,
        typeof value === 'object' && value !== null
          ? JSON.stringify(value)
          : (value as string | number | boolean | null | undefined),
      ]),
    );
  return {
    warn: (message: string, fields: Record<string, unknown>) => logger.warn(message, flatten(fields)),
    error: (message: string, fields: Record<string, unknown>) => logger.error(message, flatten(fields)),
  };
}
