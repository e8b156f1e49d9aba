/**
 * The real HTTP API for security tests: the app's own function definitions on the dev host (real HTTP,
 * real routing), real handlers, real authentication (API keys in Cosmos, Entra tokens against a local
 * JWKS), the real Cosmos job/tenant/key stores on the embedded Cosmos DB. Only the Service Bus side is
 * an in-memory publisher, which records what the API would have enqueued.
 */
import { cosmosClientFor } from '../fakes/embedded-cosmos-client.js';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { CosmosUsageReader } from '../../shared/cosmos/usage-reader.js';
import { createApiKeyVerifier } from '../../shared/auth/api-keys.js';
import { CosmosApiKeyStore } from '../../shared/cosmos/api-key-store.js';
import { createEntraVerifier } from '../../shared/auth/entra.js';
import { JwksCache } from '../../shared/auth/jwks.js';
import type { Principal } from '../../shared/auth/principal.js';
import { parseConfig } from '../../shared/config/index.js';
import { CosmosJobStore } from '../../shared/cosmos/job-store.js';
import { createMemoryLogger } from '../fakes/memory-logger.js';
import { HeavyWorkPool } from '../../shared/work/heavy-work-pool.js';
import { pooledSchemaWork } from '../../shared/work/pooled-schema-work.js';
import { createTenant, issueApiKey } from '../../shared/tenancy/admin.js';
import type { CreateTenantInput } from '../../shared/tenancy/tenant.js';
import { functionDefinitions } from '../../functions/registry.js';
import type { AppServices } from '../../functions/app-services.js';
import { composeServices } from '../../functions/composition.js';
import { useServices } from '../../functions/services.js';
import type { HttpFunctionDefinition } from '../../functions/definitions.js';
import { ensureCosmosResources, startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/index.js';
import { startDevHost, type DevHost } from '../../local/devhost/index.js';
import { MemoryDeadLetters } from '../fakes/memory-dead-letters.js';
import { MemoryCompletionRecords } from '../fakes/memory-completion-records.js';
import { MemoryUsageRollups } from '../fakes/memory-usage-rollups.js';
import { MemoryFileStore } from '../fakes/memory-file-store.js';
import { MemoryPublisher } from '../fakes/memory-publisher.js';
import {
  ADMIN_APP,
  CALLER_APP,
  CLIENT_ID,
  ISSUER_V1,
  ISSUER_V2,
  TID,
  newSigningKey,
  signToken,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from '../shared/auth/jwks-server.js';

export interface Harness {
  readonly apiUrl: string;
  readonly services: AppServices;
  readonly publisher: MemoryPublisher;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  /** Creates a tenant through the admin use case and returns an API key for it. */
  addTenant(input: CreateTenantInput): Promise<string>;
  /** A bearer token for the admin app (platform admin role). */
  adminToken(): Promise<string>;
  /** A bearer token for the caller app, mapped to tenant `team-entra`. */
  entraToken(claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const ADMIN: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };

export interface HarnessOptions {
  /**
   * Heavy tenant schemas checked on a worker pool, as functions/composition.ts wires production; without
   * it they compile on this thread (simpler, and enough for tests that do not measure the event loop).
   */
  readonly heavyWorkPool?: boolean;
}

export async function startHarness(
  envOverrides: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const cosmos: EmbeddedCosmos = await startEmbeddedCosmos();
  const signing: SigningKey = await newSigningKey('harness-key');
  const jwks: JwksServer = await startJwksServer([signing]);
  const client = cosmosClientFor(cosmos);
  await ensureCosmosResources(client);
  const config = parseConfig({
    PIPELINE_ENVIRONMENT: 'local',
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    ServiceBusConnection:
      'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
    PUBLIC_BASE_URL: 'http://localhost:7071',
    ...envOverrides,
  });
  const database = client.database(config.COSMOS_DATABASE);
  const logger = createMemoryLogger();
  const publisher = new MemoryPublisher();
  const jobs = new CosmosJobStore(database.container('jobs'));
  const apiKeys = createApiKeyVerifier({
    store: new CosmosApiKeyStore(database.container('tenants')),
    expectedEnv: 'test',
  });
  const entra = createEntraVerifier({
    jwks: new JwksCache({ url: jwks.url }),
    issuers: [ISSUER_V2, ISSUER_V1],
    audiences: [CLIENT_ID],
    requiredRole: 'Jobs.Submit',
    requiredScope: 'jobs.submit',
    adminRole: 'Platform.Admin',
    tenantMap: [
      { tid: TID, appId: CALLER_APP, tenantId: 'team-entra' },
      { tid: TID, appId: ADMIN_APP, tenantId: 'platform-ops' },
    ],
  });
  const heavyWork = options.heavyWorkPool
    ? new HeavyWorkPool({
        threads: 1,
        perTenant: config.HEAVY_WORK_PER_TENANT,
        maxQueue: 64,
        timeoutMs: config.HEAVY_WORK_TIMEOUT_MS,
      })
    : undefined;
  const stage = {
    jobs,
    publisher,
    logger,
    clock: Date.now,
    settings: { maxAttempts: 4, deadlineMs: 3_600_000, retentionSeconds: 86_400, duplicateWindowMs: 600_000 },
    ...(heavyWork ? { schemas: pooledSchemaWork(heavyWork) } : {}),
  };
  const services: AppServices = composeServices({
    config,
    logger,
    database,
    jobs,
    payloads: { put: () => Promise.resolve(), get: () => Promise.resolve(undefined) },
    publisher,
    credential: () => {
      throw new Error('no Azure credential in this test');
    },
    usageRollups: new MemoryUsageRollups(),
    fileStore: new MemoryFileStore(),
    deadLetters: new MemoryDeadLetters(),
    authenticator: createAuthenticator({ apiKeys, entra }),
    usage: new CosmosUsageReader(database.container('jobs')),
    modelAliases: () => ['gpt-4o-mini', 'm'],
    stage,
    invoke: {
      ...stage,
      model: { complete: () => Promise.reject(new Error('no model in security tests')) },
      completions: new MemoryCompletionRecords(),
      costOf: () => 0,
      modelCallBoundMs: 6_000,
    },
    postprocess: { ...stage, costOf: () => 0 },
    close: () => Promise.resolve(),
  });
  useServices(services);
  const host: DevHost = await startDevHost({
    definitions: functionDefinitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http'),
    port: 0,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const admin = services.security.admin;
  return {
    apiUrl: `${host.url}/api`,
    services,
    publisher,
    logger,
    async addTenant(input) {
      await createTenant(ADMIN, input, admin);
      return (await issueApiKey(ADMIN, input.id, { name: 'test' }, admin)).key;
    },
    adminToken: () => signToken(signing, { azp: ADMIN_APP, roles: ['Platform.Admin'] }),
    entraToken: (claims = {}) => signToken(signing, claims),
    async close() {
      useServices(undefined);
      await host.close();
      await heavyWork?.close();
      client.dispose();
      await jwks.close();
      await cosmos.close();
    },
  };
}

/** A minimal valid job body. */
export function jobBody(content = 'hello', model = 'gpt-4o-mini'): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content }] });
}
