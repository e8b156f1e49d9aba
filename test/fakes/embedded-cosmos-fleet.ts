/**
 * The embedded Cosmos DB (platform database and containers) shared by several simulated host
 * instances: each instance opens its own client, as a separate process would, so nothing is shared
 * between them but the service.
 */
import type { CosmosClient } from '@azure/cosmos';
import {
  defaultCosmosDefinitions,
  ensureCosmosResources,
  startEmbeddedCosmos,
} from '../../local/cosmos/index.js';
import { CosmosQuotaLeaseStore } from '../../shared/cosmos/quota-lease-store.js';
import { cosmosClientFor } from './embedded-cosmos-client.js';

export interface CosmosFleet {
  /** A new client, as another instance would open; disposed by close(). */
  client(): CosmosClient;
  /** Quota leases in the tenants container, through a new client. */
  leaseStore(): CosmosQuotaLeaseStore;
  close(): Promise<void>;
}

export async function startCosmosFleet(): Promise<CosmosFleet> {
  const cosmos = await startEmbeddedCosmos();
  const clients: CosmosClient[] = [];
  const client = (): CosmosClient => {
    const opened = cosmosClientFor(cosmos);
    clients.push(opened);
    return opened;
  };
  await ensureCosmosResources(client());
  return {
    client,
    leaseStore: () =>
      new CosmosQuotaLeaseStore(client().database(defaultCosmosDefinitions.database).container('tenants')),
    async close() {
      for (const opened of clients.splice(0)) opened.dispose();
      await cosmos.close();
    },
  };
}
