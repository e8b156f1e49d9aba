/**
 * The embedded Cosmos DB with a client through the real @azure/cosmos SDK and no databases yet: for
 * tests of the emulator itself and of code that makes its own databases and containers.
 */
import { CosmosClient, type Container, type ContainerRequest } from '@azure/cosmos';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/index.js';

/**
 * A new SDK client of the emulator. Endpoint discovery is off: the server advertises https:// locations
 * it does not serve.
 */
export function cosmosClientFor(cosmos: Pick<EmbeddedCosmos, 'endpoint' | 'key'>): CosmosClient {
  return new CosmosClient({
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
}

export interface CosmosUnderTest {
  readonly endpoint: string;
  readonly client: CosmosClient;
  /** The container as given, in database `databaseId`; both made if missing. */
  container(databaseId: string, definition: ContainerRequest): Promise<Container>;
  close(): Promise<void>;
}

export async function startCosmosClient(): Promise<CosmosUnderTest> {
  const cosmos = await startEmbeddedCosmos();
  const client = cosmosClientFor(cosmos);
  return {
    endpoint: cosmos.endpoint,
    client,
    async container(databaseId, definition) {
      const { database } = await client.databases.createIfNotExists({ id: databaseId });
      return (await database.containers.createIfNotExists(definition)).container;
    },
    async close() {
      client.dispose();
      await cosmos.close();
    },
  };
}
