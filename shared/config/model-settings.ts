import type { ModelClientSettings } from '../model/settings.js';
import type { Environment } from './schema.js';

export type ModelEnvironment = Pick<
  Environment,
  | 'PIPELINE_ENVIRONMENT'
  | 'AZURE_CLIENT_ID'
  | 'MODEL_POOLS'
  | 'MODEL_API_KEY'
  | 'MODEL_API_VERSION'
  | 'MODEL_TIMEOUT_MS'
  | 'MODEL_DEFAULT_MAX_TOKENS'
  | 'MODEL_INSTANCE_SHARE'
  | 'MODEL_QUOTA_COORDINATION'
  | 'MODEL_QUOTA_RENEW_MS'
  | 'MODEL_QUOTA_FALLBACK_SHARE'
  | 'MODEL_BREAKER_FAILURES'
  | 'MODEL_BREAKER_FAILURE_RATE'
  | 'MODEL_BREAKER_WINDOW_MS'
  | 'MODEL_BREAKER_OPEN_MS'
>;

export function modelSettingsFromConfig(config: ModelEnvironment): ModelClientSettings {
  const azure = config.PIPELINE_ENVIRONMENT === 'azure';
  // A scaled-out fleet is the normal case in Azure; locally one host instance is.
  const coordinated = (config.MODEL_QUOTA_COORDINATION ?? (azure ? 'cosmos' : 'off')) === 'cosmos';
  return {
    azure,
    ...(config.AZURE_CLIENT_ID ? { clientId: config.AZURE_CLIENT_ID } : {}),
    pools: config.MODEL_POOLS,
    ...(config.MODEL_API_KEY ? { apiKey: config.MODEL_API_KEY } : {}),
    apiVersion: config.MODEL_API_VERSION,
    timeoutMs: config.MODEL_TIMEOUT_MS,
    defaultMaxTokens: config.MODEL_DEFAULT_MAX_TOKENS,
    instanceShare: config.MODEL_INSTANCE_SHARE,
    ...(coordinated
      ? {
          coordination: {
            fallbackShare: config.MODEL_QUOTA_FALLBACK_SHARE,
            ...(config.MODEL_QUOTA_RENEW_MS ? { renewMs: config.MODEL_QUOTA_RENEW_MS } : {}),
          },
        }
      : {}),
    breakerFailures: config.MODEL_BREAKER_FAILURES,
    breakerOpenMs: config.MODEL_BREAKER_OPEN_MS,
    breakerFailureRate: config.MODEL_BREAKER_FAILURE_RATE,
    breakerWindowMs: config.MODEL_BREAKER_WINDOW_MS,
  };
}
