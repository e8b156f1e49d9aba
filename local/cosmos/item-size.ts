/**
 * Cosmos DB's item size limit in the embedded Cosmos DB: an item whose JSON is over 2 MB (2,097,152
 * bytes, "Maximum size of an item" in Azure Cosmos DB's service quotas) is refused with
 * 413 `RequestEntityTooLarge`, as the service answers it. @vercel/cosmosdb-server stores items of any
 * size, so code that would fail in Azure (a job document holding a 3 MB request) passed locally.
 *
 * The check sits where every write of the server ends up: Items#create and Items#replace (upsert calls
 * one of them, a patch replaces the patched document). The handlers' operations (create, replace,
 * upsert, patch, and each operation of a batch or bulk request, lib/handler/_document-operations.js and
 * _patch-operations.js) turn the refusal into the service's answer: status 413 with
 * `{ code: "RequestEntityTooLarge", message }` for a single request, a 413 result for that operation
 * alone in a batch or bulk request. The size measured is the item as sent (its UTF-8 JSON); the
 * service's system properties (_rid, _etag, _ts, _self: about 100 bytes) are not counted.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

/** Azure Cosmos DB for NoSQL: maximum size of an item. */
export const MAX_ITEM_BYTES = 2 * 1024 * 1024;

/** What the service answers (its message, without the activity id and request URI it appends). */
export const ITEM_TOO_LARGE_BODY = {
  code: 'RequestEntityTooLarge',
  message: 'Message: {"Errors":["Request size is too large"]}',
} as const;

interface OperationResult {
  readonly statusCode: number;
  readonly body?: unknown;
}

type Operation = (collection: unknown, input: unknown) => OperationResult;

type ItemWrite = (this: unknown, data: Record<string, unknown>, ...rest: unknown[]) => unknown;

class ItemTooLarge extends Error {}

let applied = false;

export function enforceItemSizeLimit(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const items = require('@vercel/cosmosdb-server/lib/account/items.js') as {
    default: { prototype: { create: ItemWrite; replace: ItemWrite } };
  };
  const prototype = items.default.prototype;
  for (const name of ['create', 'replace'] as const) {
    const write = prototype[name];
    prototype[name] = function (this: unknown, data, ...rest) {
      const bytes = Buffer.byteLength(JSON.stringify(data));
      if (bytes > MAX_ITEM_BYTES) throw new ItemTooLarge(`item of ${bytes} bytes`);
      return write.call(this, data, ...rest);
    };
  }

  // The handlers call these through the modules' exports, so replacing the exports reaches them.
  const documents = require('@vercel/cosmosdb-server/lib/handler/_document-operations.js') as Record<
    'createOperation' | 'replaceOperation' | 'upsertOperation',
    Operation
  >;
  for (const name of ['createOperation', 'replaceOperation', 'upsertOperation'] as const) {
    documents[name] = refusingTooLarge(documents[name]);
  }
  const patches = require('@vercel/cosmosdb-server/lib/handler/_patch-operations.js') as {
    patchOperation: Operation;
  };
  patches.patchOperation = refusingTooLarge(patches.patchOperation);
}

function refusingTooLarge(operation: Operation): Operation {
  return (collection, input) => {
    try {
      return operation(collection, input);
    } catch (error) {
      if (error instanceof ItemTooLarge) return { statusCode: 413, body: { ...ITEM_TOO_LARGE_BODY } };
      throw error;
    }
  };
}
