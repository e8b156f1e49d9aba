/**
 * The simulated deployment and the model client the model benchmarks share (model quota, fairness,
 * priorities): one deployment `bench` of `tpm` with compressed windows, called through our client with
 * an API key, as the invoke stage would call it.
 */
import type { ModelSimulatorOptions } from '../../local/model-simulator/index.js';
import { createModelClient, type ModelClientDependencies } from '../../shared/model/client.js';
import { DeploymentSettingsSchema } from '../../shared/model/settings.js';

export interface BenchDeployment {
  readonly tpm: number;
  readonly windowMs: number;
  readonly maxTokens: number;
}

export function benchSimulatorOptions(settings: BenchDeployment): ModelSimulatorOptions {
  return {
    apiKey: 'bench-key',
    deployments: [{ name: 'bench', model: 'gpt-4o-mini-2024-07-18', tpm: settings.tpm }],
    windowMs: settings.windowMs,
    latency: { timeToFirstTokenMs: 80, perTokenMs: 1 },
    completionTokens: { min: 60, max: 160 },
  };
}

export function benchModelClient(
  url: string,
  settings: BenchDeployment,
  dependencies: ModelClientDependencies = {},
): ReturnType<typeof createModelClient> {
  return createModelClient(
    {
      azure: false,
      pools: {
        bench: [
          DeploymentSettingsSchema.parse({
            name: 'bench',
            endpoint: url,
            auth: 'apiKey',
            tpm: settings.tpm,
            tokenWindowMs: settings.windowMs,
            requestWindowMs: settings.windowMs,
          }),
        ],
      },
      apiKey: 'bench-key',
      apiVersion: '2024-10-21',
      timeoutMs: 30_000,
      defaultMaxTokens: settings.maxTokens,
      instanceShare: 1,
      breakerFailures: 5,
      breakerOpenMs: 30_000,
    },
    { logger: { warn: () => undefined, error: () => undefined }, ...dependencies },
  );
}
