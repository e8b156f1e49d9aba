/** Shared test fixtures: a model config pointing at a simulator, with small, fast settings. */
import type { ModelConfig } from '../../shared/model/client.js';
import type { DeploymentSettings } from '../../shared/model/settings.js';

export function deployment(
  overrides: Partial<DeploymentSettings> &
    Pick<DeploymentSettings, 'name' | 'endpoint'> & { windowMs?: number },
): DeploymentSettings {
  // `windowMs` sets both pacing windows, to match a simulator started with the same `windowMs`.
  const { windowMs = 1_000, ...rest } = overrides;
  return {
    kind: 'azure',
    auth: 'apiKey',
    tpm: 60_000,
    priority: 0,
    weight: 1,
    tokenWindowMs: windowMs,
    requestWindowMs: windowMs,
    ...rest,
  };
}

export function modelConfig(
  pools: ModelConfig['MODEL_POOLS'],
  overrides: Partial<ModelConfig> = {},
): ModelConfig {
  return {
    PIPELINE_ENVIRONMENT: 'local',
    AZURE_CLIENT_ID: undefined,
    MODEL_POOLS: pools,
    MODEL_API_KEY: 'test-key',
    MODEL_API_VERSION: '2024-10-21',
    MODEL_TIMEOUT_MS: 2_000,
    MODEL_DEFAULT_MAX_TOKENS: 64,
    MODEL_INSTANCE_SHARE: 1,
    MODEL_BREAKER_FAILURES: 3,
    MODEL_BREAKER_OPEN_MS: 500,
    ...overrides,
  };
}

export function context(jobId = 'job-1') {
  return { jobId, tenantId: 'tenant-a', attempt: 1 };
}

export const silentLogger = { warn: () => undefined, error: () => undefined };
