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
 * The versionless id of the webhook KEK in Key Vault, or undefined. Checked here rather than in the schema
 * so one message names the variable and the shape it needs.
 */
export function kekKeyIdFromConfig(config: Config): string | undefined {
  const keyId = config.WEBHOOK_KEK_KEY_ID;
  if (keyId === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(keyId);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' || !/^\/keys\/[^/]+\/?$/.test(url.pathname) || url.search || url.hash) {
    throw new InvalidEnvironmentError(
      ['WEBHOOK_KEK_KEY_ID'],
      'WEBHOOK_KEK_KEY_ID: must be the https id of a Key Vault key without a version (https://<vault>.vault.azure.net/keys/<name>)',
    );
  }
  return keyId.replace(/\/$/, '');
}

/**
 * The local KEK for `LocalKeyWrapper`: `WEBHOOK_KEK_BASE64`, which Azure needs only when it has no Key Vault
 * key (`WEBHOOK_KEK_KEY_ID`) or still holds records wrapped with it. The local stack, whose Cosmos emulator
 * keeps data in memory only, gets a random one per process, which lives exactly as long.
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
      ['WEBHOOK_KEK_KEY_ID', 'WEBHOOK_KEK_BASE64'],
      'WEBHOOK_KEK_KEY_ID: required in Azure (the Key Vault key id; or the legacy WEBHOOK_KEK_BASE64)',
    );
  }
  processKek ??= randomBytes(32);
  return processKek;
}
