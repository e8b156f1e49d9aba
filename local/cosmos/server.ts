/**
 * Embedded Cosmos DB for the local stack: `@vercel/cosmosdb-server` in process over plain http, driven by
 * the real `@azure/cosmos` SDK. Plain http means no certificate to trust, so TLS verification is never
 * switched off. Data lives in memory and dies with the process.
 *
 * Clients need `connectionPolicy: { enableEndpointDiscovery: false }` (the server advertises https://
 * locations it does not serve). What it does and does not do through SDK 4.9.3 is pinned by
 * test/local-cosmos/embedded-cosmos.test.ts: CRUD, IfMatch ETags (412), patch with conditions, queries
 * with continuation and batches of creates work; the `partitionKey` query option does not scope results
 * (filter in WHERE), TTL never expires items, request charges are always 1. A patch's condition is checked
 * against the patched document only (patch-condition.ts), not by a scan of the container.
 */
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@vercel/cosmosdb-server';
import { checkPatchConditionsPerDocument } from './patch-condition.js';

/**
 * The Cosmos DB emulator's published well-known key. cosmosdb-server does not check signatures, but the
 * SDK needs a base64 key to sign with; using the emulator's public key makes clear it is not a secret.
 */
export const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface EmbeddedCosmos {
  /** `http://127.0.0.1:<port>/`: pass with `connectionPolicy: { enableEndpointDiscovery: false }`. */
  readonly endpoint: string;
  readonly key: string;
  close(): Promise<void>;
}

export interface EmbeddedCosmosOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

export async function startEmbeddedCosmos(options: EmbeddedCosmosOptions = {}): Promise<EmbeddedCosmos> {
  const host = options.host ?? '127.0.0.1';
  checkPatchConditionsPerDocument();
  // keepAlive: without it the server answers `connection: close` and the SDK reconnects per request.
  const server = createHttpServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}/`,
    key: EMULATOR_KEY,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets from SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
