/**
 * The embedded Cosmos DB with the platform's database and containers (infra/definitions/cosmos.json),
 * through the real @azure/cosmos SDK: what the Cosmos adapters' tests run against.
 */
import { CosmosClient, type Database } from '@azure/cosmos';
import {
  defaultCosmosDefinitions,
  ensureCosmosResources,
  startEmbeddedCosmos,
} from '../../local/cosmos/index.js';

export interface TestDatabase {
  readonly database: Database;
  close(): Promise<void>;
}

export async function startTestDatabase(): Promise<TestDatabase> {
  const cosmos = await startEmbeddedCosmos();
  const client = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  await ensureCosmosResources(client);
  return {
    database: client.database(defaultCosmosDefinitions.database),
    async close() {
      client.dispose();
      await cosmos.close();
    },
  };
}
