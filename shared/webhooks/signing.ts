/**
 * Standard Webhooks signing and verification (spec v1.0.0, "Signature scheme" and "Webhook headers"):
 * `webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`, space-separated when
 * several secrets are active (zero-downtime rotation). Secrets are shown as `whsec_<base64>`.
 *
 * `verifyWebhook` is the consumer helper: it has no dependency beyond node:crypto so it can be copied or
 * imported on its own.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** Standard Webhooks: symmetric secrets are random, at least 24 bytes; we use 32. */
const SECRET_BYTES = 32;
/** Standard Webhooks: verifiers allow 5 minutes of clock skew in either direction. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_secret';

/** Thrown by `verifyWebhook`; `reason` is stable and safe to log (it never contains a secret). */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** A new random signing secret in its `whsec_` form. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The key bytes of a `whsec_` secret (the prefix is optional, as in the reference libraries). */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new WebhookVerificationError(
      'invalid_secret',
      'Webhook secret is not base64 (expected whsec_<base64>)',
    );
  }
  return Buffer.from(encoded, 'base64');
}

/** The bare base64 signature (without `v1,`) of one message under one secret. */
function computeSignature(key: Buffer, id: string, timestamp: number, payload: string | Buffer): Buffer {
  const hmac = createHmac('sha256', key);
  hmac.update(`${id}.${timestamp}.`);
  hmac.update(payload);
  return hmac.digest();
}

/** `v1,<base64>` for one secret. */
export function sign(secret: string, id: string, timestamp: number, payload: string | Buffer): string {
  return `v1,${computeSignature(secretKey(secret), id, timestamp, payload).toString('base64')}`;
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The three Standard Webhooks headers for one attempt. `secrets` are all active secrets, newest first:
 * during a rotation overlap the consumer may still hold the old one, so every active secret signs.
 */
export function signWebhook(input: {
  readonly id: string;
  /** Time of this attempt (not of the event): verifiers reject stale attempts to stop replays. */
  readonly timestamp: Date;
  readonly payload: string | Buffer;
  readonly secrets: readonly string[];
}): SignedHeaders {
  // Standard Webhooks: the id and timestamp must not contain "." or the signed content becomes ambiguous.
  if (input.id.includes('.') || input.id.length === 0)
    throw new Error('webhook id must be non-empty, no "."');
  if (input.secrets.length === 0) throw new Error('at least one secret is needed to sign');
  const seconds = Math.floor(input.timestamp.getTime() / 1000);
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': input.secrets.map((s) => sign(s, input.id, seconds, input.payload)).join(' '),
  };
}

type HeaderBag =
  | Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { get(name: string): string | null };

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? (value as readonly string[]).join(' ') : (value as string | undefined);
}

export interface VerifyWebhookInput {
  /** The raw request body exactly as received; never a re-serialised parse (it would not match). */
  readonly payload: string | Buffer;
  /** Request headers: a fetch `Headers`, node's `IncomingHttpHeaders` or a plain record. */
  readonly headers: HeaderBag;
  /** One or several `whsec_` secrets (several while you rotate). */
  readonly secrets: string | readonly string[];
  readonly toleranceSeconds?: number;
  /** For tests; defaults to the current time. */
  readonly now?: Date;
}

export interface VerifiedWebhook {
  readonly id: string;
  readonly timestamp: Date;
}

/**
 * Verifies a Standard Webhooks request and returns its id (use it to de-duplicate) and timestamp.
 * Throws `WebhookVerificationError` when headers are missing, the timestamp is outside the tolerance, or no
 * `v1` signature matches any of the secrets. Comparison is constant-time.
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifiedWebhook {
  const id = header(input.headers, 'webhook-id');
  const timestampText = header(input.headers, 'webhook-timestamp');
  const signatures = header(input.headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) {
    throw new WebhookVerificationError(
      'missing_header',
      'Missing webhook-id, webhook-timestamp or webhook-signature header',
    );
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      'webhook-timestamp is not a unix time in seconds',
    );
  }
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (timestamp < nowSeconds - tolerance) {
    throw new WebhookVerificationError('timestamp_too_old', 'webhook-timestamp is too old (possible replay)');
  }
  if (timestamp > nowSeconds + tolerance) {
    throw new WebhookVerificationError('timestamp_too_new', 'webhook-timestamp is in the future');
  }

  const secrets = typeof input.secrets === 'string' ? [input.secrets] : input.secrets;
  const offered = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = computeSignature(secretKey(secret), id, timestamp, input.payload);
    // timingSafeEqual needs equal lengths; a length mismatch reveals nothing about the secret.
    if (
      offered.some(
        (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
      )
    ) {
      return { id, timestamp: new Date(timestamp * 1000) };
    }
  }
  throw new WebhookVerificationError('no_matching_signature', 'No webhook-signature matches the secret(s)');
}
