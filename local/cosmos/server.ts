/**
 * Embedded Cosmos DB for the local stack: `@vercel/cosmosdb-server` in process over plain http, driven by
 * the real `@azure/cosmos` SDK. Plain http means no certificate to trust, so TLS verification is never
 * switched off. Data lives in memory and dies with the process, unless `dataFile` is given: then the
 * account is restored from it at start and written to it on close (snapshot.ts).
 *
 * Clients need `connectionPolicy: { enableEndpointDiscovery: false }` (the server advertises https://
 * locations it does not serve). What it does and does not do through SDK 4.9.3 is pinned by
 * test/local/cosmos/embedded-cosmos.test.ts: CRUD, IfMatch ETags (412), patch with conditions, queries
 * with continuation and batches of creates work; the `partitionKey` query option does not scope results
 * (filter in WHERE), request charges are always 1. TTL expires items as the service does (ttl.ts), and an
 * item over 2 MB is refused with 413 as the service refuses it (item-size.ts). A
 * patch's condition is checked against the patched document only (patch-condition.ts), not by a scan of
 * the container. A batch sent
 * with `Prefer: return=minimal` is answered without the documents, as the service does.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccountServer } from './account-server.js';
import { indexEqualityFilters } from './equality-index.js';
import { enforceItemSizeLimit } from './item-size.js';
import { linearQueryAccumulation } from './linear-query.js';
import { checkPatchConditionsPerDocument } from './patch-condition.js';
import { expireItems, trackExpiries } from './ttl.js';
import {
  readCosmosSnapshot,
  restoreCosmosSnapshot,
  writeCosmosSnapshot,
  type SnapshotCounts,
} from './snapshot.js';

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
  /** What was restored from `dataFile` at start; undefined when there was nothing to restore. */
  readonly restored?: SnapshotCounts;
  close(): Promise<void>;
}

export interface EmbeddedCosmosOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Where the account is kept between runs (JSON); in memory only when absent. */
  readonly dataFile?: string;
}

export async function startEmbeddedCosmos(options: EmbeddedCosmosOptions = {}): Promise<EmbeddedCosmos> {
  const host = options.host ?? '127.0.0.1';
  checkPatchConditionsPerDocument();
  enforceItemSizeLimit();
  indexEqualityFilters();
  linearQueryAccumulation();
  trackExpiries();
  // keepAlive: without it the server answers `connection: close` and the SDK reconnects per request.
  const { server, account } = createAccountServer({ keepAlive: true });
  // The SDK's agent keeps idle sockets without a timeout of its own: a server closing them after
  // Node's default 5 s races with a request being written on them, which the SDK sees as "socket hang
  // up" / ECONNRESET (seen under sustained load). The client decides when a connection ends.
  server.keepAliveTimeout = 0;
  answerBatchesMinimally(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const snapshot = options.dataFile ? readCosmosSnapshot(options.dataFile) : undefined;
  const restored = snapshot ? restoreCosmosSnapshot(account(), snapshot) : undefined;
  const stopExpiring = expireItems(account);
  return {
    endpoint: `http://${host}:${port}/`,
    key: EMULATOR_KEY,
    ...(restored ? { restored } : {}),
    close: async () => {
      stopExpiring();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets from SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      });
      // After the server stopped answering: no write can land after the snapshot.
      if (options.dataFile) writeCosmosSnapshot(options.dataFile, account());
    },
  };
}

/**
 * Cosmos DB answers a batch sent with `Prefer: return=minimal` (the SDK's contentResponseOnWriteEnabled:
 * false) with each operation's status and ETag but without its `resourceBody`; cosmosdb-server always
 * sends the documents. The server's handler runs unchanged; its answer to such a batch loses the bodies.
 */
function answerBatchesMinimally(server: Server): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const batch = String(req.headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true';
    if (batch && /return=minimal/i.test(String(req.headers.prefer ?? ''))) withoutResourceBodies(res);
    for (const handler of handlers) handler(req, res);
  });
}

function withoutResourceBodies(res: ServerResponse): void {
  const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) return end(chunk, ...rest);
    let results: unknown;
    try {
      results = JSON.parse(chunk.toString());
    } catch {
      return end(chunk, ...rest);
    }
    if (!Array.isArray(results)) return end(chunk, ...rest);
    const minimal = JSON.stringify(
      results.map((result: Record<string, unknown>) => {
        const { resourceBody: _body, ...rest } = result;
        return rest;
      }),
    );
    if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(minimal));
    return end(minimal, ...rest.filter((arg) => typeof arg === 'function'));
  }) as ServerResponse['end'];
}
