/**
 * Verifying a webhook delivery on the consumer's side, with the `standardwebhooks` package (the Standard
 * Webhooks reference library): nothing of prompt-pipeline's code is needed to trust an event. Verify the
 * raw body exactly as received, before parsing it.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { components } from './schema.js';

/** The body of a delivery: a job's terminal event. */
export type WebhookEvent = components['schemas']['WebhookEvent'];

export { WebhookVerificationError };

export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: WebhookHeaders, name: string): string {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? '';
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(', ') : ((value as string | undefined) ?? '');
}

/**
 * Checks the signature and the timestamp (within 5 minutes) of one delivery and returns its event.
 * `secrets`: the endpoint's `whsec_...` secret, or several while a rotation overlaps (any one may sign).
 * Throws WebhookVerificationError when no secret verifies: answer 401 and drop the body.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secrets: string | readonly string[],
): WebhookEvent {
  const signed = {
    'webhook-id': header(headers, 'webhook-id'),
    'webhook-timestamp': header(headers, 'webhook-timestamp'),
    'webhook-signature': header(headers, 'webhook-signature'),
  };
  let failure: unknown = new WebhookVerificationError('No secret to verify with');
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    try {
      return new Webhook(secret).verify(payload, signed) as WebhookEvent;
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
