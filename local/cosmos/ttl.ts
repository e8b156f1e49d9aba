/**
 * Time to live in the embedded Cosmos DB, as the service documents it: a container without
 * `defaultTtl` (or with null) never expires items; with -1 an item expires only by its own `ttl`;
 * with n seconds an item expires n seconds after its last write (`_ts`) unless its own `ttl` says
 * otherwise (-1: never). Cosmos DB deletes expired items in the background and no longer returns them;
 * here a sweep deletes them once a second, so for up to a second after expiry a read may still see one.
 *
 * @vercel/cosmosdb-server keeps every item until it is deleted, so without this a local stack grew by
 * every job it had ever seen although each job document carries its retention as `ttl`. Each container
 * keeps its pending expiries as buckets by second behind a min-heap of those seconds: a write costs a
 * set insertion, a sweep costs what expires (stale entries of rewritten items are skipped).
 */
import { createRequire } from 'node:module';

type Document = Record<string, unknown> & { readonly _rid?: unknown; readonly _ts?: unknown };

interface Item {
  read(): Document | undefined;
}

interface ContainerResource {
  readonly defaultTtl?: number | null;
}

interface ItemsInternals {
  _data: Map<string, Item>;
  readonly _parent: { read(): unknown; readonly documents?: unknown };
  _getPartition(data: Document): unknown;
  delete(idOrRid: string, partition: unknown): void;
}

interface ItemsPrototype {
  _set(this: ItemsInternals, data: Document): Document;
}

/** The account object of cosmosdb-server, walked to reach every container's documents. */
interface AccountInternals {
  readonly databases: {
    readonly _data: Map<string, { readonly collections?: { readonly _data: Map<string, unknown> } }>;
  };
}

interface Expiries {
  /** Expiry second → rids due then (some stale: rewritten or deleted since). */
  readonly due: Map<number, Set<string>>;
  /** The seconds in `due`, as a binary min-heap. */
  readonly heap: number[];
}

const expiries = new WeakMap<ItemsInternals, Expiries>();

/** The second an item expires at, or undefined when it never does. */
export function expiryOf(document: Document, container: ContainerResource | undefined): number | undefined {
  const defaultTtl = container?.defaultTtl;
  if (defaultTtl === undefined || defaultTtl === null) return undefined;
  const own = document.ttl;
  const ttl = typeof own === 'number' ? own : defaultTtl;
  if (ttl === -1 || ttl <= 0 || typeof document._ts !== 'number') return undefined;
  return document._ts + ttl;
}

function push(heap: number[], value: number): void {
  heap.push(value);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as number) <= value) break;
    heap[i] = heap[parent] as number;
    heap[parent] = value;
    i = parent;
  }
}

function pop(heap: number[]): number | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  for (let i = 0; ;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < heap.length && (heap[left] as number) < (heap[smallest] as number)) smallest = left;
    if (right < heap.length && (heap[right] as number) < (heap[smallest] as number)) smallest = right;
    if (smallest === i) break;
    [heap[i], heap[smallest]] = [heap[smallest] as number, heap[i] as number];
    i = smallest;
  }
  return top;
}

function schedule(items: ItemsInternals, document: Document): void {
  if (items._parent.documents !== items || typeof document._rid !== 'string') return;
  const at = expiryOf(document, items._parent.read() as ContainerResource | undefined);
  if (at === undefined) return;
  let pending = expiries.get(items);
  if (!pending) expiries.set(items, (pending = { due: new Map(), heap: [] }));
  let rids = pending.due.get(at);
  if (!rids) {
    pending.due.set(at, (rids = new Set()));
    push(pending.heap, at);
  }
  rids.add(document._rid);
}

/** Deletes the container's items due at or before `nowSeconds`; returns how many. */
function sweepContainer(items: ItemsInternals, nowSeconds: number): number {
  const pending = expiries.get(items);
  if (!pending) return 0;
  const container = items._parent.read() as ContainerResource | undefined;
  let deleted = 0;
  while (pending.heap.length > 0 && (pending.heap[0] as number) <= nowSeconds) {
    const at = pop(pending.heap) as number;
    const rids = pending.due.get(at);
    pending.due.delete(at);
    for (const rid of rids ?? []) {
      const document = items._data.get(rid)?.read();
      // Rewritten since (a later expiry, or none) or already deleted: not due.
      if (!document || expiryOf(document, container) !== at) continue;
      items.delete(rid, items._getPartition(document));
      deleted += 1;
    }
  }
  return deleted;
}

let applied = false;

/** Makes every document write record its expiry; install once, before the server takes writes. */
export function trackExpiries(): void {
  if (applied) return;
  applied = true;
  const items = createRequire(import.meta.url)('@vercel/cosmosdb-server/lib/account/items.js') as {
    default: { prototype: ItemsPrototype };
  };
  const prototype = items.default.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(this, ...) below
  const set = prototype._set;
  prototype._set = function (data) {
    const stored = set.call(this, data);
    schedule(this, stored);
    return stored;
  };
}

/** Deletes every expired document of the account now; returns how many. */
export function sweepExpired(account: AccountInternals, nowSeconds = Date.now() / 1000): number {
  let deleted = 0;
  for (const database of account.databases._data.values()) {
    for (const collection of database.collections?._data.values() ?? []) {
      const documents = (collection as { documents?: ItemsInternals }).documents;
      if (documents) deleted += sweepContainer(documents, Math.floor(nowSeconds));
    }
  }
  return deleted;
}

/** Sweeps the account once a second until stopped. */
export function expireItems(account: () => AccountInternals, intervalMs = 1_000): () => void {
  const timer = setInterval(() => sweepExpired(account()), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
