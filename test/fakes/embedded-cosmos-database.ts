/**
 * The embedded Cosmos DB with the platform's database and containers (infra/definitions/cosmos.json),
 * through the real @azure/cosmos SDK: what the Cosmos adapters' tests run against.
 */
import type { Database } from '@azure/cosmos';
import { defaultCosmosDefinitions, ensureCosmosResources } from '../../local/cosmos/index.js';
import { startCosmosClient } from './embedded-cosmos-client.js';

export interface TestDatabase {
  readonly database: Database;
  close(): Promise<void>;
}

export async function startTestDatabase(): Promise<TestDatabase> {
  const cosmos = await startCosmosClient();
  await ensureCosmosResources(cosmos.client);
  return {
    database: cosmos.client.database(defaultCosmosDefinitions.database),
    close: () => cosmos.close(),
  };
}
