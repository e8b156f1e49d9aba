/**
 * The capacity router's lines and groups in the `batches` container (shared/capacity/documents.ts), one
 * partition per Global Batch deployment. Line writes of a group go as bulk requests; queries stay in the
 * deployment's partition. The Batches API's own documents are `kind: 'batch'`, so its sweep never sees these.
 */
import type { Container, ItemDefinition, JSONObject, OperationInput } from '@azure/cosmos';
import {
  ParkedLineSchema,
  ProviderGroupSchema,
  partitionOf,
  type ParkedLine,
  type ProviderGroup,
} from '../capacity/documents.js';
import type { CapacityStore } from '../capacity/ports.js';
import { fromCosmosItem, statusCodeOf } from './items.js';

export class CosmosCapacityStore implements CapacityStore {
  constructor(private readonly container: Container) {}

  async park(line: ParkedLine): Promise<'parked' | 'exists'> {
    try {
      await this.container.items.create(line as unknown as JSONObject);
      return 'parked';
    } catch (error) {
      if (statusCodeOf(error) === 409) return 'exists';
      throw error;
    }
  }

  async pending(deployment: string, limit: number): Promise<ParkedLine[]> {
    return this.lines(
      "SELECT TOP @limit * FROM c WHERE c.tenantId = @p AND c.kind = 'capacity-line' AND c.state = 'pending' ORDER BY c.parkedAt",
      deployment,
      [{ name: '@limit', value: limit }],
    );
  }

  async linesOf(deployment: string, groupId: string): Promise<ParkedLine[]> {
    return this.lines(
      "SELECT * FROM c WHERE c.tenantId = @p AND c.kind = 'capacity-line' AND c.groupId = @group",
      deployment,
      [{ name: '@group', value: groupId }],
    );
  }

  async line(deployment: string, id: string): Promise<ParkedLine | undefined> {
    const { resource } = await this.container.item(id, partitionOf(deployment)).read<ItemDefinition>();
    return resource ? ParkedLineSchema.parse(fromCosmosItem(resource)) : undefined;
  }

  async saveLines(lines: readonly ParkedLine[]): Promise<void> {
    for (let start = 0; start < lines.length; start += 100) {
      const operations: OperationInput[] = lines.slice(start, start + 100).map((line) => ({
        operationType: 'Upsert',
        partitionKey: line.tenantId,
        resourceBody: line as unknown as JSONObject,
      }));
      const results = await this.container.items.executeBulkOperations(operations, {
        contentResponseOnWriteEnabled: false,
      });
      for (const result of results) {
        const status = result.response?.statusCode ?? result.error?.code;
        if (typeof status !== 'number' || status >= 300) {
          throw new Error(`capacity line not written (Cosmos DB status ${String(status)})`);
        }
      }
    }
  }

  async removeLine(deployment: string, id: string): Promise<void> {
    await this.remove(deployment, id);
  }

  async groups(deployment: string): Promise<ProviderGroup[]> {
    const { resources } = await this.container.items
      .query<ItemDefinition>(
        {
          query: "SELECT * FROM c WHERE c.tenantId = @p AND c.kind = 'capacity-group' ORDER BY c.createdAt",
          parameters: [{ name: '@p', value: partitionOf(deployment) }],
        },
        { partitionKey: partitionOf(deployment) },
      )
      .fetchAll();
    return resources.map((item) => ProviderGroupSchema.parse(fromCosmosItem(item)));
  }

  async saveGroup(group: ProviderGroup): Promise<void> {
    await this.container.items.upsert(group as unknown as JSONObject);
  }

  async removeGroup(deployment: string, id: string): Promise<void> {
    await this.remove(deployment, id);
  }

  private async remove(deployment: string, id: string): Promise<void> {
    try {
      await this.container.item(id, partitionOf(deployment)).delete();
    } catch (error) {
      // Already gone: a repeated sweep step.
      if (statusCodeOf(error) !== 404) throw error;
    }
  }

  private async lines(
    query: string,
    deployment: string,
    parameters: Array<{ name: string; value: string | number }>,
  ): Promise<ParkedLine[]> {
    const { resources } = await this.container.items
      .query<ItemDefinition>(
        { query, parameters: [{ name: '@p', value: partitionOf(deployment) }, ...parameters] },
        { partitionKey: partitionOf(deployment) },
      )
      .fetchAll();
    return resources.map((item) => ParkedLineSchema.parse(fromCosmosItem(item)));
  }
}
