/**
 * Documents in the `webhooks` container (partition key /tenantId): endpoints, deliveries (one per event and
 * endpoint, holding the exact payload so it can be replayed) and attempts (one per HTTP try).
 */
import type { DeliveryErrorCode } from './failures.js';
import type { EncryptedSecret } from './key-wrapper.js';
import type { WebhookEventType } from './events.js';

export interface StoredSecret {
  readonly id: string;
  readonly createdAt: string;
  /** Set when a newer secret replaces it: both sign until then (rotation overlap). */
  readonly expiresAt?: string;
  readonly encrypted: EncryptedSecret;
}

export interface EndpointRecord {
  readonly id: string;
  readonly kind: 'endpoint';
  readonly tenantId: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly WebhookEventType[];
  readonly enabled: boolean;
  /** Why it was disabled, in words the tenant can act on. */
  readonly disabledReason?: string;
  readonly disabledAt?: string;
  readonly secrets: readonly StoredSecret[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** First failed attempt since the last success: the basis for disabling an endpoint failing for days. */
  readonly failingSince?: string;
  readonly lastSuccessAt?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  /** `<endpointId>:<webhookId>`: one per event and endpoint. */
  readonly id: string;
  readonly kind: 'delivery';
  readonly tenantId: string;
  readonly endpointId: string;
  readonly webhookId: string;
  readonly jobId: string;
  readonly eventType: WebhookEventType;
  /** The exact JSON body signed and sent (excluded from indexing in cosmos.json). */
  readonly payload: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** How many times it was replayed; part of replay message and attempt ids. */
  readonly replays: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastError?: string;
}

export interface AttemptRecord {
  readonly id: string;
  readonly kind: 'attempt';
  readonly tenantId: string;
  readonly endpointId: string;
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly at: string;
  /** HTTP status, absent when no response came (timeout, network, refused). */
  readonly status?: number;
  readonly latencyMs: number;
  readonly outcome: 'delivered' | 'retry' | 'gaveUp' | 'disabled';
  /** Plain words for the tenant (failures.ts): never library error strings or resolved addresses. */
  readonly error?: string;
  readonly errorCode?: DeliveryErrorCode;
  /** Start of the response body, for the tenant's debugging. */
  readonly responseSnippet?: string;
  /** Cosmos per-item TTL in seconds: attempts are history, not state. */
  readonly ttl?: number;
}

/** What the HTTP API shows: never the encrypted secrets. */
export interface EndpointView {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly WebhookEventType[];
  readonly enabled: boolean;
  readonly disabledReason?: string;
  readonly disabledAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly failingSince?: string;
  readonly lastSuccessAt?: string;
  readonly secrets: readonly {
    readonly id: string;
    readonly createdAt: string;
    readonly expiresAt?: string;
  }[];
}

export function toEndpointView(record: EndpointRecord): EndpointView {
  const { kind: _kind, tenantId: _tenant, secrets, ...rest } = record;
  return {
    ...rest,
    secrets: secrets.map((s) => ({
      id: s.id,
      createdAt: s.createdAt,
      ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
    })),
  };
}
