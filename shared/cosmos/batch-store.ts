/**
 * BatchStore on Cosmos DB (`batches` container, partition key /tenantId). One small document per batch:
 * point reads, ETag-guarded replaces; listing is a single-partition query on `sortKey`; the sweep's
 * query for open batches is the one cross-partition query, over a container of batch documents only.
 */
import type { Container, ItemDefinition } from '@azure/cosmos';
import type { BatchDocument, StoredBatch } from '../batches/batch.js';
import { FINISHED_BATCH_STATUSES } from '../batches/batch.js';
import type { BatchPage, BatchStore } from '../batches/ports.js';
import { createWithoutContent, fromCosmosItem, statusCodeOf } from './items.js';

type Stored = BatchDocument & { readonly sortKey: string };

/** Creation time then id, as one string: newest-first paging by a single range-indexed property. */
function sortKeyOf(batch: BatchDocument): string {
  return `${String(batch.createdAt).padStart(12, '0')}:${batch.id}`;
}

export class CosmosBatchStore implements BatchStore {
  constructor(private readonly container: Container) {}

  async create(batch: BatchDocument): Promise<{ created: boolean; stored: StoredBatch }> {
    const { statusCode, etag } = await createWithoutContent(
      this.container,
      { ...batch, sortKey: sortKeyOf(batch) },
      batch.tenantId,
    );
    if (statusCode === 201 && etag) return { created: true, stored: { batch, etag } };
    if (statusCode !== 201 && statusCode !== 409)
      throw new Error(`batch ${batch.id} was not created (Cosmos DB status ${statusCode})`);
    const existing = await this.get(batch.tenantId, batch.id);
    if (!existing) throw new Error(`batch ${batch.id} could not be read after its create`);
    return { created: statusCode === 201, stored: existing };
  }

  async get(tenantId: string, id: string): Promise<StoredBatch | undefined> {
    try {
      const response = await this.container.item(id, tenantId).read<Stored>();
      if (!response.resource || !response.etag) return undefined;
      return { batch: toBatch(response.resource), etag: response.etag };
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  async replace(batch: BatchDocument, etag: string): Promise<StoredBatch | 'stale'> {
    try {
      const response = await this.container
        .item(batch.id, batch.tenantId)
        .replace<Stored>(
          { ...batch, sortKey: sortKeyOf(batch) },
          { accessCondition: { type: 'IfMatch', condition: etag } },
        );
      if (!response.resource || !response.etag) throw new Error('Cosmos DB answered without the batch');
      return { batch: toBatch(response.resource), etag: response.etag };
    } catch (error) {
      if (statusCodeOf(error) === 412) return 'stale';
      throw error;
    }
  }

  async list(tenantId: string, query: { limit: number; after?: BatchDocument }): Promise<BatchPage> {
    const after = query.after ? ' AND c.sortKey < @after' : '';
    const { resources } = await this.container.items
      .query<Stored & ItemDefinition>(
        {
          query: `SELECT TOP @top * FROM c WHERE c.tenantId = @tenantId AND c.kind = 'batch'${after} ORDER BY c.sortKey DESC`,
          parameters: [
            { name: '@top', value: query.limit + 1 },
            { name: '@tenantId', value: tenantId },
            ...(query.after ? [{ name: '@after', value: sortKeyOf(query.after) }] : []),
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    return {
      batches: resources.slice(0, query.limit).map(toBatch),
      hasMore: resources.length > query.limit,
    };
  }

  async listOpen(limit: number): Promise<Array<{ tenantId: string; id: string }>> {
    const finished = FINISHED_BATCH_STATUSES.map((status) => `'${status}'`).join(', ');
    const { resources } = await this.container.items
      .query<{ tenantId: string; id: string }>({
        query: `SELECT TOP @limit c.tenantId, c.id FROM c WHERE c.kind = 'batch' AND NOT (c.status IN (${finished})) ORDER BY c.sortKey`,
        parameters: [{ name: '@limit', value: limit }],
      })
      .fetchAll();
    return resources.map(({ tenantId, id }) => ({ tenantId, id }));
  }
}

function toBatch(item: object): BatchDocument {
  const { sortKey: _sortKey, ...batch } = fromCosmosItem<Stored>(item);
  return batch;
}
