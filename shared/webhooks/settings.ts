/** Webhook settings derived from the one config module; use cases take these, never the environment. */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { InvalidEnvironmentError } from '../config/index.js';
import { parseAllowList, type SsrfPolicy } from './ssrf.js';
import { RETRY_SCHEDULE_MS } from './retry-schedule.js';

export interface WebhookSettings {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxInlineBytes: number;
  readonly secretOverlapMs: number;
  readonly disableAfterMs: number;
  /** Delay before attempt n+1 is `retryScheduleMs[n]`; attempt 1 is immediate. */
  readonly retryScheduleMs: readonly number[];
  readonly policy: SsrfPolicy;
  readonly publicBaseUrl: string;
  /** Attempt records expire after this many seconds (Cosmos TTL). */
  readonly attemptTtlSeconds: number;
}

export function webhookSettingsFromConfig(config: Config): WebhookSettings {
  return {
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
    maxInlineBytes: config.WEBHOOK_MAX_PAYLOAD_BYTES,
    secretOverlapMs: config.WEBHOOK_SECRET_OVERLAP_SECONDS * 1000,
    disableAfterMs: config.WEBHOOK_DISABLE_AFTER_HOURS * 60 * 60 * 1000,
    retryScheduleMs: RETRY_SCHEDULE_MS,
    policy: {
      requireHttps: config.PIPELINE_ENVIRONMENT === 'azure',
      ...parseAllowList(config.WEBHOOK_ALLOWED_HOSTS),
    },
    publicBaseUrl: config.PUBLIC_BASE_URL,
    attemptTtlSeconds: 30 * 24 * 60 * 60,
  };
}

let processKek: Buffer | undefined;

/**
 * The KEK for `LocalKeyWrapper`. Azure must configure one (a Key Vault reference); the local stack, whose
 * Cosmos emulator keeps data in memory only, gets a random one per process, which lives exactly as long.
 */
export function kekFromConfig(config: Config): Buffer {
  if (config.WEBHOOK_KEK_BASE64) {
    const kek = Buffer.from(config.WEBHOOK_KEK_BASE64, 'base64');
    if (kek.length !== 32) {
      throw new InvalidEnvironmentError(
        ['WEBHOOK_KEK_BASE64'],
        'WEBHOOK_KEK_BASE64: must be base64 of exactly 32 bytes',
      );
    }
    return kek;
  }
  if (config.PIPELINE_ENVIRONMENT === 'azure') {
    throw new InvalidEnvironmentError(
      ['WEBHOOK_KEK_BASE64'],
      'WEBHOOK_KEK_BASE64: required in Azure (set it as a Key Vault reference)',
    );
  }
  processKek ??= randomBytes(32);
  return processKek;
}
