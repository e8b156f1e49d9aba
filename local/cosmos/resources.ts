/**
 * Creates the database and containers from `infra/definitions/cosmos.json`, the same file Bicep loads.
 * Local only: in Azure, Bicep declares them and the apps' data-plane RBAC role cannot create them.
 */
import type { ContainerRequest, CosmosClient } from '@azure/cosmos';
import { PartitionKeyDefinitionVersion, PartitionKeyKind } from '@azure/cosmos';
import { z } from 'zod';
import cosmosJson from '../../infra/definitions/cosmos.json' with { type: 'json' };

const ContainerDefinitionSchema = z.object({
  name: z.string().min(1),
  partitionKeyPaths: z.array(z.string().startsWith('/')).min(1).max(3),
  /** -1: items never expire unless they carry their own `ttl`; a positive number: seconds. */
  defaultTtl: z.number().int().optional(),
  indexingPolicy: z.record(z.string(), z.unknown()).optional(),
});

const CosmosDefinitionsSchema = z.object({
  database: z.string().min(1),
  containers: z.array(ContainerDefinitionSchema),
});

export type CosmosDefinitions = z.infer<typeof CosmosDefinitionsSchema>;
export type ContainerDefinition = z.infer<typeof ContainerDefinitionSchema>;

export const defaultCosmosDefinitions: CosmosDefinitions = CosmosDefinitionsSchema.parse(cosmosJson);

/** The SDK's container request for one definition; hierarchical keys (2-3 paths) are MultiHash. */
export function toContainerRequest(definition: ContainerDefinition): ContainerRequest {
  return {
    id: definition.name,
    partitionKey: {
      paths: definition.partitionKeyPaths,
      kind: definition.partitionKeyPaths.length > 1 ? PartitionKeyKind.MultiHash : PartitionKeyKind.Hash,
      version: PartitionKeyDefinitionVersion.V2,
    },
    ...(definition.defaultTtl === undefined ? {} : { defaultTtl: definition.defaultTtl }),
    ...(definition.indexingPolicy === undefined ? {} : { indexingPolicy: definition.indexingPolicy }),
  };
}

/** Idempotent: existing database and containers are left as they are. */
export async function ensureCosmosResources(
  client: CosmosClient,
  definitions: CosmosDefinitions = defaultCosmosDefinitions,
): Promise<void> {
  const parsed = CosmosDefinitionsSchema.parse(definitions);
  const { database } = await client.databases.createIfNotExists({ id: parsed.database });
  for (const container of parsed.containers) {
    await database.containers.createIfNotExists(toContainerRequest(container));
  }
}
