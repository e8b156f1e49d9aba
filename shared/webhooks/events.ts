/**
 * Webhook event model. Payload shape follows the Standard Webhooks recommendation
 * (`{ type, timestamp, data }`); `webhook-id` is derived from the job and event type so every retry,
 * replay and duplicate of one event carries the same id and consumers can de-duplicate on it.
 */
import { createHash } from 'node:crypto';

/** Known event types. Adding one is a new member here plus whatever emits it. */
export const WEBHOOK_EVENT_TYPES = ['job.succeeded', 'job.failed', 'job.cancelled'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** What the pipeline knows about a job when it reaches a terminal state. */
export interface JobEventInput {
  readonly tenantId: string;
  readonly jobId: string;
  readonly type: WebhookEventType;
  /** When the job reached this state; stays the same across retries and replays. */
  readonly occurredAt: Date;
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  readonly usage?: {
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly totalTokens: number;
  };
  readonly metadata?: Readonly<Record<string, string>>;
  readonly traceId?: string;
  /** The endpoint the job named, if any; otherwise every subscribed endpoint of the tenant receives it. */
  readonly endpointId?: string;
}

export interface WebhookEventData {
  readonly jobId: string;
  readonly status: JobEventInput['status'];
  readonly result?: unknown;
  /** Present instead of `result` when the result is larger than the inline limit. */
  readonly resultUrl?: string;
  readonly error?: JobEventInput['error'];
  readonly usage?: JobEventInput['usage'];
  readonly metadata?: JobEventInput['metadata'];
  readonly traceId?: string;
}

export interface WebhookEvent {
  readonly type: WebhookEventType;
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

/** The exact JSON body to sign and send. Serialised once so retries send byte-identical bodies. */
export function toWebhookPayload(input: JobEventInput, options: EventOptions): string {
  const data: WebhookEventData = {
    jobId: input.jobId,
    status: input.status,
    ...(input.result !== undefined ? { result: input.result } : {}),
    ...(input.error ? { error: input.error } : {}),
    ...(input.usage ? { usage: input.usage } : {}),
    ...(input.metadata ? { metadata: input.metadata } : {}),
    ...(input.traceId ? { traceId: input.traceId } : {}),
  };
  const event: WebhookEvent = { type: input.type, timestamp: input.occurredAt.toISOString(), data };
  const full = JSON.stringify(event);
  if (Buffer.byteLength(full) <= options.maxInlineBytes || input.result === undefined) return full;
  const { result: _dropped, ...rest } = data;
  return JSON.stringify({ ...event, data: { ...rest, resultUrl: options.resultUrlFor(input.jobId) } });
}
