/**
 * Conditional patches in the embedded Cosmos DB, checked against the one document they patch.
 *
 * @vercel/cosmosdb-server checks a patch's filter predicate by running
 * `SELECT * FROM c WHERE c.id = @id AND (<predicate>)` as a query over every document of the container
 * (lib/handler/_patch-operations.js), so each `persist` cost ~7 ms of emulator CPU at 2,000 documents
 * and more as a run goes on. Cosmos DB evaluates the predicate on the target document only. This
 * remembers the document a patch targets (found by id and partition key through the server's index,
 * as the patch itself finds it) and runs the condition query over that document alone: the result is
 * the same, and its cost does not depend on how many documents the container holds. Narrowing by
 * scanning for the id instead still cost 13 % of the stack's CPU after 9,000 jobs (bench/soak.ts).
 */
import { createRequire } from 'node:module';

interface Item {
  read(): { id?: unknown; _rid?: unknown } | undefined;
}

interface ItemsInternals {
  _data: Map<string, Item>;
}

interface QueryParams {
  readonly query: string;
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly value: unknown }>;
}

type Query = (this: ItemsInternals, params: QueryParams, options: unknown) => unknown;

interface PatchCollection {
  readonly documents: ItemsInternals;
  document(id: string, partition: unknown): Item;
}

interface PatchInput {
  readonly id: string;
  readonly partitionKey?: string;
}

type PatchOperation = (collection: PatchCollection, input: PatchInput) => unknown;

/** The query the server builds for a patch condition given as `from c where ...` (the SDK's form). */
const PATCH_CONDITION_QUERY = /^SELECT \* FROM c WHERE c\.id = @id AND \(/;

let applied = false;
/** The document the running patch targets; patches run synchronously, one at a time. */
let target: { documents: ItemsInternals; rid: string; item: Item } | undefined;

export function checkPatchConditionsPerDocument(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const items = require('@vercel/cosmosdb-server/lib/account/items.js') as {
    default: { prototype: { query: Query } };
  };
  const patches = require('@vercel/cosmosdb-server/lib/handler/_patch-operations.js') as {
    patchOperation: PatchOperation;
  };
  const { parsePartitionKey } = require('@vercel/cosmosdb-server/lib/utils/get-partition-from-header.js') as {
    parsePartitionKey: (header: string | undefined, fallback: string) => unknown;
  };

  const patch = patches.patchOperation;
  // patch-document.js calls it through the module's exports, so replacing the export reaches it.
  patches.patchOperation = (collection, input) => {
    let item: Item | undefined;
    try {
      item = collection.document(input.id, parsePartitionKey(input.partitionKey, input.id));
    } catch {
      item = undefined; // a malformed partition key header: the server answers it as it would
    }
    const rid = item?.read()?._rid;
    target = item && typeof rid === 'string' ? { documents: collection.documents, rid, item } : undefined;
    try {
      return patch(collection, input);
    } finally {
      target = undefined;
    }
  };

  const prototype = items.default.prototype;
  const scanAll = prototype.query;
  prototype.query = function (this: ItemsInternals, params, options) {
    const id = params.parameters?.length === 1 ? params.parameters[0] : undefined;
    if (
      !target ||
      target.documents !== this ||
      id?.name !== '@id' ||
      target.item.read()?.id !== id.value ||
      !PATCH_CONDITION_QUERY.test(params.query)
    ) {
      return scanAll.call(this, params, options);
    }
    const all = this._data;
    // Synchronous from here to the restore: nothing else can see the narrowed map.
    this._data = new Map([[target.rid, target.item]]);
    try {
      return scanAll.call(this, params, options);
    } finally {
      this._data = all;
    }
  };
}
