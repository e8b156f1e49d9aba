/** Shared test fixtures: model client settings pointing at a simulator, with small, fast settings. */
import type { DeploymentSettings, ModelClientSettings } from '../../../shared/model/settings.js';

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
  pools: ModelClientSettings['pools'],
  overrides: Partial<ModelClientSettings> = {},
): ModelClientSettings {
  return {
    azure: false,
    pools,
    apiKey: 'test-key',
    apiVersion: '2024-10-21',
    timeoutMs: 2_000,
    defaultMaxTokens: 64,
    instanceShare: 1,
    breakerFailures: 3,
    breakerOpenMs: 500,
    ...overrides,
  };
}

/** A job's first attempt: later ones are quarantined and never count against a deployment's breaker. */
export function context(jobId = 'job-1', attempt = 0) {
  return { jobId, tenantId: 'tenant-a', attempt };
}

export const silentLogger = { warn: () => undefined, error: () => undefined };
