/**
 * Routing by deadline (shared/capacity), wired from the configuration: the Global Batch deployments of
 * MODEL_POOLS, their providers (the `openai` SDK, Entra ID in Azure), the parked lines and groups in the
 * `batches` container, and the real-time deployments' load for background work. Without a `globalBatch`
 * deployment nothing changes: the invoke stage calls real-time deployments as before.
 */
import type { ModelClient } from '../shared/model/port.js';
import { entraTokenProvider } from '../shared/model/credentials.js';
import type { RoutedModelClient } from '../shared/model/client.js';
import { isGlobalBatch, type GlobalBatchDeployment } from '../shared/model/settings.js';
import { azureGlobalBatch } from '../shared/capacity/azure-global-batch.js';
import type { CapacitySettings } from '../shared/capacity/decide.js';
import type { GlobalBatchProvider } from '../shared/capacity/ports.js';
import { routedElsewhere, type CapacityRouter } from '../shared/capacity/route.js';
import type { CapacitySweepDeps } from '../shared/capacity/sweep.js';
import { CosmosCapacityStore } from '../shared/cosmos/capacity-store.js';
import type { InvokeDeps, StageDeps } from '../shared/pipeline/deps.js';
import type { CoreServices } from './app-services.js';

export function batchDeploymentsOf(core: Pick<CoreServices, 'config'>): GlobalBatchDeployment[] {
  const all = Object.values(core.config.MODEL_POOLS).flat().filter(isGlobalBatch);
  return [...new Map(all.map((d) => [d.name, d])).values()];
}

function capacitySettings(core: Pick<CoreServices, 'config'>): CapacitySettings {
  return {
    nearDeadlineMs: core.config.CAPACITY_NEAR_DEADLINE_SECONDS * 1000,
    backgroundRetryMs: core.config.CAPACITY_BACKGROUND_RETRY_SECONDS * 1000,
  };
}

/** The invoke stage's dependencies, routing by deadline when a Global Batch deployment is configured. */
export function invokeWithCapacity(core: CoreServices): InvokeDeps {
  if (batchDeploymentsOf(core).length === 0) return core.invoke;
  const { config } = core;
  const router: CapacityRouter = {
    store: new CosmosCapacityStore(core.database.container('batches')),
    settings: capacitySettings(core),
    batchDeploymentsOf: (alias) => (config.MODEL_POOLS[alias] ?? []).filter(isGlobalBatch),
    realtimeIdle: (alias) =>
      realtimeIdle(core.invoke.model, config.MODEL_POOLS[alias] ?? [], config.CAPACITY_IDLE_FRACTION),
  };
  const deps = { ...core.invoke, capacity: router };
  return {
    ...core.invoke,
    routeCapacity: (message, trace, now) => routedElsewhere(deps, message, trace, now),
  };
}

/**
 * With a Global Batch deployment configured, a cancelled job's parked line is marked (one query across
 * the deployments' partitions per cancel) so the capacity sweep leaves it out of the provider's file.
 */
export function parkedLinesOnCancel(
  config: CoreServices['config'],
  database: CoreServices['database'],
): Pick<StageDeps, 'onCancelled'> {
  if (batchDeploymentsOf({ config }).length === 0) return {};
  const store = new CosmosCapacityStore(database.container('batches'));
  return {
    onCancelled: async (job) => {
      await store.cancelLinesOf(job.id, Date.now());
    },
  };
}

export function capacitySweepDeps(core: CoreServices): CapacitySweepDeps {
  const { config } = core;
  const providers = new Map<string, GlobalBatchProvider>();
  return {
    stage: core.invoke,
    store: new CosmosCapacityStore(core.database.container('batches')),
    deployments: batchDeploymentsOf(core),
    providerFor(deployment) {
      let provider = providers.get(deployment.name);
      if (!provider) {
        const auth =
          deployment.auth === 'apiKey'
            ? { apiKey: config.MODEL_API_KEY ?? 'local-simulator' }
            : { tokenProvider: entraTokenProvider(core.credential()) };
        provider = azureGlobalBatch(deployment, auth, {
          apiVersion: config.MODEL_API_VERSION,
          timeoutMs: config.MODEL_TIMEOUT_MS,
        });
        providers.set(deployment.name, provider);
      }
      return provider;
    },
    settings: {
      maxLinesPerFile: config.CAPACITY_MAX_LINES_PER_FILE,
      nearDeadlineMs: config.CAPACITY_NEAR_DEADLINE_SECONDS * 1000,
      defaultMaxTokens: config.MODEL_DEFAULT_MAX_TOKENS,
    },
  };
}

/**
 * Idle: this instance's view of the alias's real-time deployments holds less than `fraction` of their
 * token windows. Background work then uses the spare quota; interactive work, which never waits on this,
 * keeps the rest, and the pacer still paces every call.
 */
function realtimeIdle(
  model: ModelClient,
  pool: CoreServices['config']['MODEL_POOLS'][string],
  fraction: number,
): boolean {
  const status = (model as Partial<RoutedModelClient>).status?.();
  if (!status) return true;
  let used = 0;
  let budget = 0;
  for (const deployment of pool) {
    if (isGlobalBatch(deployment)) continue;
    const row = status.find((r) => r.deployment === deployment.name);
    used += row?.usedTokens ?? 0;
    budget += ((deployment.tpm * deployment.tokenWindowMs) / 60_000) * (row?.share ?? 1);
  }
  return budget === 0 || used < fraction * budget;
}
