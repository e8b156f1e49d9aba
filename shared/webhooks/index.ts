/**
 * The webhook domain's public surface. Consumers need only `verifyWebhook` (from ./signing.js, which has no
 * dependency beyond node:crypto); the platform wires the rest.
 */
export {
  verifyWebhook,
  signWebhook,
  generateSecret,
  WebhookVerificationError,
  DEFAULT_TOLERANCE_SECONDS,
} from './signing.js';
export type {
  VerifyWebhookInput,
  VerifiedWebhook,
  SignedHeaders,
  WebhookVerificationReason,
} from './signing.js';
export { WEBHOOK_EVENT_TYPES, isWebhookEventType, toWebhookPayload, webhookIdFor } from './events.js';
export type { JobEvent, WebhookEvent, WebhookEventData, WebhookEventType } from './events.js';
export {
  registerEndpoint,
  listEndpoints,
  getEndpoint,
  rotateSecret,
  enableEndpoint,
  RegisterEndpointSchema,
  RotateSecretSchema,
} from './endpoints.js';
export { planDeliveries, deliverEvent, processDelivery, toDeliveryMessage } from './deliver.js';
export type { DeliveryOutcome } from './deliver.js';
export { replayJob, replayFailedSince } from './replay.js';
export { fromDeliveryMessageBody, DeliveryMessageSchema } from './delivery-message.js';
export type { DeliveryMessage, DeliveryScheduler } from './delivery-message.js';
export { createWebhookHttpClient } from './http-client.js';
export type { WebhookHttpClient, WebhookRequest, WebhookResponse } from './http-client.js';
export { checkTarget, parseAllowList, SsrfRefusedError, systemResolver } from './ssrf.js';
export { parseWebhookUrl, WebhookUrlSchema, MAX_WEBHOOK_URL_LENGTH } from './url.js';
export { DeliveryErrorCodeSchema } from './failures.js';
export type { DeliveryErrorCode, TenantError } from './failures.js';
export type { SsrfPolicy, Resolver } from './ssrf.js';
export { LocalKeyWrapper } from './key-wrapper.js';
export type { KeyWrapper, WrappedKey } from './key-wrapper.js';
export { CosmosWebhookStore } from './cosmos-store.js';
export type { WebhookStore } from './store.js';
export { webhookSettingsFromConfig, kekFromConfig } from './settings.js';
export type { WebhookSettings } from './settings.js';
export type { WebhookDeps, DeliveryDeps } from './deps.js';
export type { EndpointView, AttemptRecord } from './records.js';
