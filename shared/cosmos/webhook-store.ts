/**
 * `WebhookStore` on the Cosmos DB `webhooks` container (infra/definitions/cosmos.json, partition key
 * /tenantId). Every query is scoped to one tenant's partition.
 */
import type { Container, ItemDefinition } from '@azure/cosmos';
import type { AttemptRecord, DeliveryRecord, EndpointRecord } from '../webhooks/records.js';
import type { Versioned, WebhookStore } from '../webhooks/store.js';

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Drops Cosmos system properties (`_rid`, `_etag`, `_ts`, ...) so records round-trip as the domain types. */
function strip<T>(resource: ItemDefinition): T {
  return Object.fromEntries(Object.entries(resource).filter(([key]) => !key.startsWith('_'))) as T;
}

export class CosmosWebhookStore implements WebhookStore {
  constructor(private readonly container: Container) {}

  async createEndpoint(endpoint: EndpointRecord): Promise<void> {
    await this.container.items.create(endpoint);
  }

  async getEndpoint(tenantId: string, endpointId: string): Promise<Versioned<EndpointRecord> | undefined> {
    const { resource, etag } = await this.container.item(endpointId, tenantId).read<EndpointRecord>();
    if (!resource || resource.kind !== 'endpoint') return undefined;
    return { value: strip<EndpointRecord>(resource), etag };
  }

  async replaceEndpoint(endpoint: EndpointRecord, etag: string): Promise<boolean> {
    try {
      await this.container
        .item(endpoint.id, endpoint.tenantId)
        .replace(endpoint, { accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (error) {
      if (statusOf(error) === 412) return false;
      throw error;
    }
  }

  async listEndpoints(tenantId: string): Promise<readonly EndpointRecord[]> {
    const { resources } = await this.container.items
      .query<EndpointRecord>(
        {
          query: 'SELECT * FROM c WHERE c.tenantId = @tenantId AND c.kind = "endpoint" ORDER BY c.createdAt',
          parameters: [{ name: '@tenantId', value: tenantId }],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources.map((r) => strip<EndpointRecord>(r));
  }

  async ensureDelivery(delivery: DeliveryRecord): Promise<DeliveryRecord> {
    try {
      await this.container.items.create(delivery);
      return delivery;
    } catch (error) {
      // 409: the same event for the same endpoint was planned before (an at-least-once redelivery).
      if (statusOf(error) !== 409) throw error;
      const existing = await this.getDelivery(delivery.tenantId, delivery.id);
      if (!existing) throw error;
      return existing;
    }
  }

  async getDelivery(tenantId: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    const { resource } = await this.container.item(deliveryId, tenantId).read<DeliveryRecord>();
    if (!resource || resource.kind !== 'delivery') return undefined;
    return strip<DeliveryRecord>(resource);
  }

  async saveDelivery(delivery: DeliveryRecord): Promise<void> {
    await this.container.items.upsert(delivery);
  }

  async deliveriesForJob(tenantId: string, jobId: string): Promise<readonly DeliveryRecord[]> {
    const { resources } = await this.container.items
      .query<DeliveryRecord>(
        {
          query: 'SELECT * FROM c WHERE c.tenantId = @tenantId AND c.kind = "delivery" AND c.jobId = @jobId',
          parameters: [
            { name: '@tenantId', value: tenantId },
            { name: '@jobId', value: jobId },
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources.map((r) => strip<DeliveryRecord>(r));
  }

  async failedDeliveriesSince(
    tenantId: string,
    endpointId: string,
    since: Date,
  ): Promise<readonly DeliveryRecord[]> {
    const { resources } = await this.container.items
      .query<DeliveryRecord>(
        {
          query:
            'SELECT * FROM c WHERE c.tenantId = @tenantId AND c.kind = "delivery" AND c.endpointId = @endpointId' +
            ' AND c.status = "failed" AND c.createdAt >= @since ORDER BY c.createdAt',
          parameters: [
            { name: '@tenantId', value: tenantId },
            { name: '@endpointId', value: endpointId },
            { name: '@since', value: since.toISOString() },
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources.map((r) => strip<DeliveryRecord>(r));
  }

  async recordAttempt(attempt: AttemptRecord): Promise<void> {
    // Upsert: a redelivered message re-records the same attempt id instead of failing on 409.
    await this.container.items.upsert(attempt);
  }

  async listAttempts(
    tenantId: string,
    endpointId: string,
    options: { readonly deliveryId?: string; readonly limit?: number } = {},
  ): Promise<readonly AttemptRecord[]> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    const byDelivery = options.deliveryId ? ' AND c.deliveryId = @deliveryId' : '';
    const { resources } = await this.container.items
      .query<AttemptRecord>(
        {
          query:
            `SELECT TOP ${limit} * FROM c WHERE c.tenantId = @tenantId AND c.kind = "attempt"` +
            ` AND c.endpointId = @endpointId${byDelivery} ORDER BY c.at DESC`,
          parameters: [
            { name: '@tenantId', value: tenantId },
            { name: '@endpointId', value: endpointId },
            ...(options.deliveryId ? [{ name: '@deliveryId', value: options.deliveryId }] : []),
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return resources.map((r) => strip<AttemptRecord>(r));
  }
}
