/**
 * An index for equality filters in the embedded Cosmos DB, so a query costs what it matches rather
 * than what the container holds.
 *
 * @vercel/cosmosdb-server runs every query over every document of the container. The platform asks
 * `SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @tenantId AND c.status = @status` on the
 * submission path (the tenant's jobs in flight, every 2 s per instance): after 9,000 jobs that scan
 * took ~0.1 s of the emulator's thread each time and grew with every job, where Cosmos DB answers it
 * from its index. Here a query whose WHERE clause is a plain AND of terms runs over the documents that
 * match its most selective `c.<path> = @param` term, found in a hash index kept per queried path. The
 * query itself still runs in full on those documents, so the result is the same; any other shape (OR,
 * NOT, JOIN, subqueries, no such term) scans as before.
 */
import { createRequire } from 'node:module';

type Document = Record<string, unknown>;

interface Item {
  read(): Document | undefined;
}

interface ItemsInternals {
  _data: Map<string, Item>;
  _item(keyPath: string, value: unknown, partition: unknown): Item;
}

interface QueryParams {
  readonly query: string;
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly value: unknown }>;
}

interface ItemsPrototype {
  query(this: ItemsInternals, params: QueryParams, options: unknown): unknown;
  _set(this: ItemsInternals, data: Document): Document;
  delete(this: ItemsInternals, idOrRid: string, partition: unknown): void;
}

/** Per container: path -> value (JSON) -> the rids of documents with that value, in write order. */
type PathIndex = Map<string, Set<string>>;
const indexes = new WeakMap<ItemsInternals, Map<string, PathIndex>>();

const WHERE = /\bWHERE\s+([\s\S]+?)(?:\s+ORDER\s+BY\s[\s\S]*)?$/i;
const UNSUPPORTED = /\b(OR|NOT|JOIN|EXISTS|IN|SELECT)\b/i;
const EQUALITY = /^c((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*=\s*(@[A-Za-z_][A-Za-z0-9_]*)$/;

/** A primitive's index key; undefined for values the index does not serve (objects, arrays, absent). */
function keyOf(value: unknown): string | undefined {
  const type = typeof value;
  if (value === null || type === 'string' || type === 'number' || type === 'boolean')
    return JSON.stringify(value);
  return undefined;
}

function valueAt(document: Document | undefined, path: readonly string[]): unknown {
  let value: unknown = document;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The `c.<path> = @param` terms of a WHERE clause that is an AND of terms; empty for other shapes. */
export function equalityTerms(query: string): Array<{ path: string; parameter: string }> {
  const where = WHERE.exec(query)?.[1];
  if (!where) return [];
  const afterWhere = query.slice(query.search(/\bWHERE\b/i) + 5);
  if (UNSUPPORTED.test(afterWhere)) return [];
  const terms: Array<{ path: string; parameter: string }> = [];
  for (const term of where.split(/\s+AND\s+/i)) {
    const match = EQUALITY.exec(term.trim());
    if (match?.[1] && match[2]) terms.push({ path: match[1].slice(1), parameter: match[2] });
  }
  return terms;
}

function add(index: PathIndex, path: readonly string[], rid: string, document: Document | undefined): void {
  const key = keyOf(valueAt(document, path));
  if (key === undefined) return;
  let rids = index.get(key);
  if (!rids) index.set(key, (rids = new Set()));
  rids.add(rid);
}

function pathIndex(items: ItemsInternals, path: string): PathIndex {
  let byPath = indexes.get(items);
  if (!byPath) indexes.set(items, (byPath = new Map<string, PathIndex>()));
  let index = byPath.get(path);
  if (!index) {
    // Built on the first query that needs it, then kept up to date by every write.
    index = new Map();
    const parts = path.split('.');
    for (const [rid, item] of items._data) add(index, parts, rid, item.read());
    byPath.set(path, index);
  }
  return index;
}

const PATCH_CONDITION_QUERY = /^SELECT \* FROM c WHERE c\.id = @id AND \(/;

let applied = false;

/**
 * Install after checkPatchConditionsPerDocument(): this wrapper must see the container's whole
 * document map (an index is built from it), so it runs outside the patch condition's narrowing.
 */
export function indexEqualityFilters(): void {
  if (applied) return;
  applied = true;
  const items = createRequire(import.meta.url)('@vercel/cosmosdb-server/lib/account/items.js') as {
    default: { prototype: ItemsPrototype };
  };
  const prototype = items.default.prototype;
  // Called with .call(this, ...) below, as the methods they replace would be.
  /* eslint-disable @typescript-eslint/unbound-method */
  const query = prototype.query;
  const set = prototype._set;
  const remove = prototype.delete;
  /* eslint-enable @typescript-eslint/unbound-method */

  prototype._set = function (data) {
    const stored = set.call(this, data);
    const byPath = indexes.get(this);
    if (byPath && typeof stored._rid === 'string') {
      for (const [path, index] of byPath) add(index, path.split('.'), stored._rid, stored);
    }
    return stored;
  };

  prototype.delete = function (idOrRid, partition) {
    const byPath = indexes.get(this);
    const before = byPath ? this._item('/id', idOrRid, partition).read() : undefined;
    remove.call(this, idOrRid, partition);
    const rid = before?._rid;
    if (!byPath || typeof rid !== 'string') return;
    for (const [path, index] of byPath) {
      const key = keyOf(valueAt(before, path.split('.')));
      if (key !== undefined) index.get(key)?.delete(rid);
    }
  };

  prototype.query = function (params, options) {
    // A patch's condition is narrowed to its one document by patch-condition.ts, further in.
    if (PATCH_CONDITION_QUERY.test(params.query)) return query.call(this, params, options);
    const terms = equalityTerms(params.query);
    let narrowest: Set<string> | undefined;
    for (const term of terms) {
      const parameter = params.parameters?.find((p) => p.name === term.parameter);
      const key = parameter === undefined ? undefined : keyOf(parameter.value);
      if (key === undefined) continue;
      const rids = pathIndex(this, term.path).get(key) ?? new Set<string>();
      if (!narrowest || rids.size < narrowest.size) narrowest = rids;
    }
    if (!narrowest) return query.call(this, params, options);
    const all = this._data;
    const candidates = new Map<string, Item>();
    for (const rid of narrowest) {
      const item = all.get(rid);
      if (item) candidates.set(rid, item);
    }
    // Synchronous from here to the restore: nothing else can see the narrowed map.
    this._data = candidates;
    try {
      return query.call(this, params, options);
    } finally {
      this._data = all;
    }
  };
}
