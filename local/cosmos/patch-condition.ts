/**
 * Conditional patches in the embedded Cosmos DB, checked against the one document they patch.
 *
 * @vercel/cosmosdb-server checks a patch's filter predicate by running
 * `SELECT * FROM c WHERE c.id = @id AND (<predicate>)` as a query over every document of the container
 * (lib/handler/_patch-operations.js), so each `persist` cost ~7 ms of emulator CPU at 2,000 documents
 * and more as a run goes on. Cosmos DB evaluates the predicate on the target document only. This
 * narrows exactly that query shape to the documents with that id before it runs: the result is the
 * same (the query cannot match another id), and its cost no longer grows with the container.
 * Like the server's own check, it does not tell apart documents with the same id in other partitions
 * (the query carries no partition key); job ids are unique across tenants (a hash of both), so no job
 * is judged by another's state.
 */
import { createRequire } from 'node:module';

interface ItemsInternals {
  _data: Map<string, { read(): { id?: unknown } | undefined }>;
}

interface QueryParams {
  readonly query: string;
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly value: unknown }>;
}

type Query = (this: ItemsInternals, params: QueryParams, options: unknown) => unknown;

/** The query the server builds for a patch condition given as `from c where ...` (the SDK's form). */
const PATCH_CONDITION_QUERY = /^SELECT \* FROM c WHERE c\.id = @id AND \(/;

let applied = false;

export function checkPatchConditionsPerDocument(): void {
  if (applied) return;
  applied = true;
  const items = createRequire(import.meta.url)('@vercel/cosmosdb-server/lib/account/items.js') as {
    default: { prototype: { query: Query } };
  };
  const prototype = items.default.prototype;
  const scanAll = prototype.query;
  prototype.query = function (this: ItemsInternals, params, options) {
    const id = params.parameters?.length === 1 ? params.parameters[0] : undefined;
    if (id?.name !== '@id' || !PATCH_CONDITION_QUERY.test(params.query)) {
      return scanAll.call(this, params, options);
    }
    const all = this._data;
    const sameId = new Map([...all].filter(([, item]) => item.read()?.id === id.value));
    // Synchronous from here to the restore: nothing else can see the narrowed map.
    this._data = sameId;
    try {
      return scanAll.call(this, params, options);
    } finally {
      this._data = all;
    }
  };
}
