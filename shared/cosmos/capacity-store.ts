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

  async openLines(deployment: string, groupId: string): Promise<number> {
    const { resources } = await this.container.items
      .query<number>(
        {
          query:
            "SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @p AND c.kind = 'capacity-line' AND c.groupId = @group AND NOT IS_DEFINED(c.cancelledAt)",
          parameters: [
            { name: '@p', value: partitionOf(deployment) },
            { name: '@group', value: groupId },
          ],
        },
        { partitionKey: partitionOf(deployment) },
      )
      .fetchAll();
    return resources.reduce((sum, each) => sum + each, 0);
  }

  /**
   * The one query across deployments' partitions (a job's deployment is not known where it is
   * cancelled), projected to the ids; then one patch per line found (usually none or one).
   */
  async cancelLinesOf(jobId: string, at: number): Promise<number> {
    const { resources } = await this.container.items
      .query<{ id: string; tenantId: string }>({
        query: "SELECT c.id, c.tenantId FROM c WHERE c.kind = 'capacity-line' AND c.message.jobId = @job",
        parameters: [{ name: '@job', value: jobId }],
      })
      .fetchAll();
    for (const { id, tenantId } of resources) {
      try {
        await this.container.item(id, tenantId).patch([{ op: 'set', path: '/cancelledAt', value: at }]);
      } catch (error) {
        // Settled and removed meanwhile: nothing left to leave out.
        if (statusCodeOf(error) !== 404) throw error;
      }
    }
    return resources.length;
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
