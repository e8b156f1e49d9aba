/** Shared test fixtures: model client settings pointing at a simulator, with small, fast settings. */
import { RetryAfterError } from '../../../shared/errors/index.js';
import type { ChatRequest } from '../../../shared/jobs/schema.js';
import type { RoutedModelClient } from '../../../shared/model/client.js';
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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The invoke stage in miniature: jobs `first` to `first + count - 1`, each built by `request`, run until
 * answered; a RetryAfterError reschedules the job after its delay.
 */
export function jobRunner(request: (n: number) => ChatRequest) {
  return (client: RoutedModelClient, first: number, count: number): Promise<void> =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        for (let attempt = 1; ; attempt += 1) {
          try {
            await client.complete(request(first + i), { ...context(`job-${first + i}`), attempt });
            return;
          } catch (error) {
            if (!(error instanceof RetryAfterError)) throw error;
            await sleep(error.retryAfterMs);
          }
        }
      }),
    ).then(() => undefined);
}
