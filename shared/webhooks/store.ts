/** Persistence port for the webhook domain; `shared/cosmos/webhook-store.ts` implements it on the `webhooks` container. */
import type { AttemptRecord, DeliveryRecord, EndpointRecord } from './records.js';

export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

export interface WebhookStore {
  createEndpoint(endpoint: EndpointRecord): Promise<void>;
  getEndpoint(tenantId: string, endpointId: string): Promise<Versioned<EndpointRecord> | undefined>;
  /** Replaces only if unchanged since `etag`; false when someone else wrote first. */
  replaceEndpoint(endpoint: EndpointRecord, etag: string): Promise<boolean>;
  listEndpoints(tenantId: string): Promise<readonly EndpointRecord[]>;

  /** Creates the delivery if it does not exist yet; returns the stored one either way. */
  ensureDelivery(delivery: DeliveryRecord): Promise<DeliveryRecord>;
  getDelivery(tenantId: string, deliveryId: string): Promise<DeliveryRecord | undefined>;
  saveDelivery(delivery: DeliveryRecord): Promise<void>;
  deliveriesForJob(tenantId: string, jobId: string): Promise<readonly DeliveryRecord[]>;
  failedDeliveriesSince(
    tenantId: string,
    endpointId: string,
    since: Date,
  ): Promise<readonly DeliveryRecord[]>;

  recordAttempt(attempt: AttemptRecord): Promise<void>;
  /** Newest first. */
  listAttempts(
    tenantId: string,
    endpointId: string,
    options?: { readonly deliveryId?: string; readonly limit?: number },
  ): Promise<readonly AttemptRecord[]>;
}
