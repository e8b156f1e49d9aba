/**
 * A WebhookStore whose endpoint list is cached per tenant for a few seconds. Every job's event needs
 * the tenant's endpoints, and a query per job would be the pipeline's only query (the cost target is
 * none); endpoints change rarely. Writes through this store drop the tenant's entry at once, so this
 * instance sees its own changes immediately; other instances see them within the TTL.
 */
import type { AttemptRecord, DeliveryRecord, EndpointRecord } from './records.js';
import type { Versioned, WebhookStore } from './store.js';
import type { Clock } from '../time/clock.js';

export const DEFAULT_ENDPOINT_CACHE_MS = 5_000;

export class EndpointCachingStore implements WebhookStore {
  private readonly lists = new Map<
    string,
    { readonly at: number; readonly value: Promise<readonly EndpointRecord[]> }
  >();

  constructor(
    private readonly inner: WebhookStore,
    private readonly ttlMs = DEFAULT_ENDPOINT_CACHE_MS,
    private readonly clock: Clock = Date.now,
  ) {}

  listEndpoints(tenantId: string): Promise<readonly EndpointRecord[]> {
    const cached = this.lists.get(tenantId);
    if (cached && this.clock() - cached.at < this.ttlMs) return cached.value;
    // Concurrent misses share one query; a failed query is not cached.
    const value = this.inner.listEndpoints(tenantId);
    this.lists.set(tenantId, { at: this.clock(), value });
    value.catch(() => this.lists.delete(tenantId));
    return value;
  }

  async createEndpoint(endpoint: EndpointRecord): Promise<void> {
    this.lists.delete(endpoint.tenantId);
    await this.inner.createEndpoint(endpoint);
    this.lists.delete(endpoint.tenantId);
  }

  async replaceEndpoint(endpoint: EndpointRecord, etag: string): Promise<boolean> {
    this.lists.delete(endpoint.tenantId);
    const replaced = await this.inner.replaceEndpoint(endpoint, etag);
    this.lists.delete(endpoint.tenantId);
    return replaced;
  }

  getEndpoint(tenantId: string, endpointId: string): Promise<Versioned<EndpointRecord> | undefined> {
    return this.inner.getEndpoint(tenantId, endpointId);
  }

  ensureDelivery(delivery: DeliveryRecord): Promise<DeliveryRecord> {
    return this.inner.ensureDelivery(delivery);
  }

  getDelivery(tenantId: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    return this.inner.getDelivery(tenantId, deliveryId);
  }

  saveDelivery(delivery: DeliveryRecord): Promise<void> {
    return this.inner.saveDelivery(delivery);
  }

  deliveriesForJob(tenantId: string, jobId: string): Promise<readonly DeliveryRecord[]> {
    return this.inner.deliveriesForJob(tenantId, jobId);
  }

  failedDeliveriesSince(
    tenantId: string,
    endpointId: string,
    since: Date,
  ): Promise<readonly DeliveryRecord[]> {
    return this.inner.failedDeliveriesSince(tenantId, endpointId, since);
  }

  recordAttempt(attempt: AttemptRecord): Promise<void> {
    return this.inner.recordAttempt(attempt);
  }

  listAttempts(
    tenantId: string,
    endpointId: string,
    options?: { readonly deliveryId?: string; readonly limit?: number },
  ): Promise<readonly AttemptRecord[]> {
    return this.inner.listAttempts(tenantId, endpointId, options);
  }
}
