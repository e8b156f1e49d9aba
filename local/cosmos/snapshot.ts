/**
 * The embedded Cosmos DB's account as a file and back: every database, container and document as
 * stored (`_rid`, `_etag`, `_ts` included, so ETags held by a client stay valid across a restart), and
 * the counters the server numbers new resources from. Written to a temporary file and renamed, so a
 * crash while writing leaves the previous snapshot whole.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CosmosAccount } from './account-server.js';

const VERSION = 1;

interface ContainerSnapshot {
  readonly definition: Record<string, unknown>;
  readonly documentRidCount: number;
  readonly documents: ReadonlyArray<Record<string, unknown>>;
}

interface DatabaseSnapshot {
  readonly definition: Record<string, unknown>;
  readonly containerRidCount: number;
  readonly containers: readonly ContainerSnapshot[];
}

export interface CosmosSnapshot {
  readonly version: number;
  readonly databaseRidCount: number;
  readonly databases: readonly DatabaseSnapshot[];
}

export interface SnapshotCounts {
  readonly containers: number;
  readonly documents: number;
}

export function toCosmosSnapshot(account: CosmosAccount): CosmosSnapshot {
  return {
    version: VERSION,
    databaseRidCount: account.databases._ridCount,
    databases: [...account.databases._data.values()].map((database) => ({
      definition: database.read(),
      containerRidCount: database.collections._ridCount,
      containers: [...database.collections._data.values()].map((container) => ({
        definition: container.read(),
        documentRidCount: container.documents._ridCount,
        documents: [...container.documents._data.values()].map((document) => document.read()),
      })),
    })),
  };
}

/** Loads a snapshot into an account that has no databases yet (a server that just started). */
export function restoreCosmosSnapshot(account: CosmosAccount, snapshot: CosmosSnapshot): SnapshotCounts {
  if (snapshot.version !== VERSION) throw new Error(`cosmos snapshot: unknown version ${snapshot.version}`);
  if (account.databases._data.size > 0) throw new Error('cosmos snapshot: the account is not empty');
  let containers = 0;
  let documents = 0;
  for (const database of snapshot.databases) {
    const stored = account.databases._set(database.definition);
    const restored = account.databases._data.get(String(stored._rid));
    if (!restored) throw new Error('cosmos snapshot: a database was not restored');
    for (const container of database.containers) {
      const storedContainer = restored.collections._set(container.definition);
      const items = restored.collections._data.get(String(storedContainer._rid))?.documents;
      if (!items) throw new Error('cosmos snapshot: a container was not restored');
      for (const document of container.documents) items._set(document);
      items._ridCount = container.documentRidCount;
      containers += 1;
      documents += container.documents.length;
    }
    restored.collections._ridCount = database.containerRidCount;
  }
  account.databases._ridCount = snapshot.databaseRidCount;
  return { containers, documents };
}

export function readCosmosSnapshot(file: string): CosmosSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as CosmosSnapshot;
}

export function writeCosmosSnapshot(file: string, account: CosmosAccount): SnapshotCounts {
  const snapshot = toCosmosSnapshot(account);
  writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
  renameSync(`${file}.tmp`, file);
  const containers = snapshot.databases.flatMap((database) => database.containers);
  return {
    containers: containers.length,
    documents: containers.reduce((sum, container) => sum + container.documents.length, 0),
  };
}
