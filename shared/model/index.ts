/** The model layer's public surface: the invoke stage needs `createModelClient`, the rest is for telemetry and cost. */
export type { ModelCallContext, ModelClient, ModelCompletion, ModelUsage } from './port.js';
export {
  createModelClient,
  QUOTA_PACED_REASON,
  type DeploymentStatus,
  type ModelClientDependencies,
  type ModelConfig,
  type ModelLogger,
  type RoutedModelClient,
} from './client.js';
export { addUsage, costOf, emptyUsageTotals, findPrice, totalsByTenant, type UsageTotals } from './usage.js';
export { countPromptTokens, quotaCost } from './tokens.js';
export {
  consumesAttempt,
  decideModelRetry,
  WAITING_REASONS,
  type AttemptState,
  type RetryDecision,
} from './attempt-policy.js';
export type { DeploymentSettings, ModelPools, Price, PriceTable } from './settings.js';
