/**
 * Webhook event model. The pipeline's `JobEvent` (shared/jobs/events.ts, emitted by persist and cancel) is
 * turned into a payload shaped as Standard Webhooks recommends (`{ type, timestamp, data }`). `webhook-id`
 * is derived from tenant, job and event type, so every retry, replay and duplicate of one event carries the
 * same id and consumers can de-duplicate on it.
 */
import { createHash } from 'node:crypto';
import { BATCH_EVENT_TYPES, type BatchEventType } from './batch-event-types.js';
import { JOB_EVENT_TYPES, type JobEvent, type JobEventType } from '../jobs/events.js';

/**
 * Event types a webhook endpoint can subscribe to: the job events, then the batch events (a batch
 * finished: shared/batches/events.ts). New types of either become available automatically.
 */
export const WEBHOOK_EVENT_TYPES = [...JOB_EVENT_TYPES, ...BATCH_EVENT_TYPES] as const;
export type WebhookEventType = JobEventType | BatchEventType;
export type { JobEvent };

export interface WebhookEventData {
  readonly jobId: string;
  readonly status: JobEvent['status'];
  readonly result?: JobEvent['result'];
  /** Present instead of `result` when the event would be larger than the inline limit. */
  readonly resultUrl?: string;
  readonly error?: JobEvent['error'];
  readonly usage?: JobEvent['usage'];
  readonly metadata: JobEvent['metadata'];
  readonly traceId: string;
}

export interface WebhookEvent {
  readonly type: WebhookEventType;
  /** When the job reached this state; the same across retries and replays. */
  readonly timestamp: string;
  readonly data: WebhookEventData;
}

/**
 * `evt_` + 32 hex chars of SHA-256(tenant, job, type): stable for one event, distinct between events, and
 * free of "." as the signature scheme requires.
 */
export function webhookIdFor(tenantId: string, jobId: string, type: WebhookEventType): string {
  const digest = createHash('sha256').update(`${tenantId}\n${jobId}\n${type}`).digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

export interface EventOptions {
  /** Standard Webhooks advises payloads under ~20 KB; a bigger result goes as a link. */
  readonly maxInlineBytes: number;
  /** Where a consumer fetches a job's full result with its API key. */
  readonly resultUrlFor: (jobId: string) => string;
}

/** The exact JSON body to sign and send. Serialised once and stored, so retries send identical bytes. */
export function toWebhookPayload(event: JobEvent, options: EventOptions): string {
  const data: WebhookEventData = {
    jobId: event.jobId,
    status: event.status,
    ...(event.result !== undefined ? { result: event.result } : {}),
    ...(event.error ? { error: event.error } : {}),
    ...(event.usage ? { usage: event.usage } : {}),
    metadata: event.metadata,
    traceId: event.traceId,
  };
  const body: WebhookEvent = { type: event.type, timestamp: event.occurredAt, data };
  const full = JSON.stringify(body);
  if (Buffer.byteLength(full) <= options.maxInlineBytes || event.result === undefined) return full;
  const { result: _dropped, ...rest } = data;
  return JSON.stringify({ ...body, data: { ...rest, resultUrl: options.resultUrlFor(event.jobId) } });
}
