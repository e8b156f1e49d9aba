/**
 * Counts what the real @azure/cosmos SDK does, by wrapping the data-plane methods of its exported `Items`
 * and `Item` classes for the whole process. Every CosmosClient in the process (the composition root's,
 * the tenant and webhook stores built on it) goes through these prototypes, so nothing in the product
 * needs a hook. Each call is one request to the service (the SDK's metadata reads, cached after the
 * first use, are not counted: they are not per-job costs).
 *
 * The request charge is what the client reports. The embedded Cosmos DB (@vercel/cosmosdb-server)
 * answers a constant 1 per request, so it is a request count here, not RU; RU figures are estimated
 * from operation kinds and measured document sizes (bench/cost-model.ts).
 */
import { Item, Items } from '@azure/cosmos';

export type CosmosOperationKind =
  'create' | 'upsert' | 'replace' | 'patch' | 'delete' | 'pointRead' | 'query' | 'batch' | 'bulk';

export interface CosmosOperation {
  readonly kind: CosmosOperationKind;
  readonly container: string;
  /** Item id for point operations; the query text for queries. */
  readonly target: string;
  /** HTTP status (or SDK error code) of the answer. */
  readonly status: number;
  /** x-ms-request-charge as the client reports it (constant 1 on the embedded server: not RU). */
  readonly requestCharge: number;
  /** JSON size of the document written (create/upsert/replace) or read (point read). */
  readonly documentBytes: number;
}

export const WRITE_KINDS: ReadonlySet<CosmosOperationKind> = new Set([
  'create',
  'upsert',
  'replace',
  'patch',
  'delete',
  'batch',
  'bulk',
]);

export interface CosmosCounter {
  operations(): readonly CosmosOperation[];
  reset(): void;
  /** Puts the SDK's own methods back. */
  restore(): void;
}

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

interface ResponseLike {
  readonly statusCode?: number;
  readonly requestCharge?: number;
  readonly resource?: unknown;
}

interface ErrorLike {
  readonly code?: unknown;
  readonly statusCode?: unknown;
}

const byteLength = (value: unknown): number =>
  value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? '');

function statusOfError(error: unknown): number {
  const e = (error ?? {}) as ErrorLike;
  const code = typeof e.code === 'number' ? e.code : e.statusCode;
  return typeof code === 'number' ? code : -1;
}

let active: CosmosCounter | undefined;

/** Starts counting; only one counter at a time (the prototypes are process-wide). */
export function instrumentCosmos(): CosmosCounter {
  if (active) throw new Error('Cosmos DB is already instrumented in this process');
  const recorded: CosmosOperation[] = [];
  const originals: Array<() => void> = [];

  const wrap = (
    prototype: object,
    method: string,
    kind: CosmosOperationKind,
    describe: (
      self: unknown,
      args: unknown[],
    ) => { container: string; target: string; bytes: number; kind?: CosmosOperationKind },
  ): void => {
    const target = prototype as Record<string, AnyMethod>;
    const original = target[method];
    if (typeof original !== 'function') throw new Error(`@azure/cosmos has no ${method} to instrument`);
    target[method] = async function (this: unknown, ...args: unknown[]) {
      const described = describe(this, args);
      try {
        const response = (await original.apply(this, args)) as ResponseLike;
        recorded.push({
          kind: described.kind ?? kind,
          container: described.container,
          target: described.target,
          status: response.statusCode ?? 200,
          requestCharge: response.requestCharge ?? 0,
          // A read costs by the document it returns; a patch is billed like writing the document it
          // produces (https://learn.microsoft.com/azure/cosmos-db/partial-document-update-faq), not its body.
          documentBytes:
            kind === 'pointRead' || kind === 'patch' ? byteLength(response.resource) : described.bytes,
        });
        return response;
      } catch (error) {
        recorded.push({
          kind: described.kind ?? kind,
          container: described.container,
          target: described.target,
          status: statusOfError(error),
          requestCharge: 0,
          documentBytes: described.bytes,
        });
        throw error;
      }
    };
    originals.push(() => {
      target[method] = original;
    });
  };

  const containerOfItems = (self: unknown) => (self as Items).container.id;
  const containerOfItem = (self: unknown) => (self as Item).container.id;
  const idOf = (self: unknown) => (self as Item).id;
  const idOfBody = (body: unknown) =>
    typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string'
      ? (body as { id: string }).id
      : '';

  wrap(Items.prototype, 'create', 'create', (self, [body]) => ({
    container: containerOfItems(self),
    target: idOfBody(body),
    bytes: byteLength(body),
  }));
  wrap(Items.prototype, 'upsert', 'upsert', (self, [body]) => ({
    container: containerOfItems(self),
    target: idOfBody(body),
    bytes: byteLength(body),
  }));
  wrap(Items.prototype, 'batch', 'batch', (self, [operations]) => {
    const list = Array.isArray(operations)
      ? (operations as Array<{ operationType?: unknown; resourceBody?: unknown }>)
      : [];
    const [only] = list;
    // A batch of one create is how the stores create without reading the document back
    // (shared/cosmos/items.ts): the service bills and counts it as the create it is.
    if (list.length === 1 && only?.operationType === 'Create') {
      return {
        container: containerOfItems(self),
        target: idOfBody(only.resourceBody),
        bytes: byteLength(only.resourceBody),
        kind: 'create' as const,
      };
    }
    return {
      container: containerOfItems(self),
      target: `${list.length} operations`,
      bytes: byteLength(operations),
    };
  });
  wrap(Items.prototype, 'executeBulkOperations', 'bulk', (self, [operations]) => ({
    container: containerOfItems(self),
    target: `${Array.isArray(operations) ? operations.length : 0} operations`,
    bytes: byteLength(operations),
  }));
  wrap(Item.prototype, 'read', 'pointRead', (self) => ({
    container: containerOfItem(self),
    target: idOf(self),
    bytes: 0,
  }));
  wrap(Item.prototype, 'replace', 'replace', (self, [body]) => ({
    container: containerOfItem(self),
    target: idOf(self),
    bytes: byteLength(body),
  }));
  wrap(Item.prototype, 'patch', 'patch', (self, [body]) => ({
    container: containerOfItem(self),
    target: idOf(self),
    bytes: byteLength(body),
  }));
  wrap(Item.prototype, 'delete', 'delete', (self) => ({
    container: containerOfItem(self),
    target: idOf(self),
    bytes: 0,
  }));
  wrapQueries(recorded, originals);

  const counter: CosmosCounter = {
    operations: () => recorded.slice(),
    reset: () => {
      recorded.length = 0;
    },
    restore: () => {
      for (const undo of originals.reverse()) undo();
      originals.length = 0;
      if (active === counter) active = undefined;
    },
  };
  active = counter;
  return counter;
}

/**
 * `items.query()` returns an iterator synchronously; the requests happen on fetchNext/fetchAll. One
 * query is counted per fetched page (each page is one request), with the page's charge.
 */
function wrapQueries(recorded: CosmosOperation[], originals: Array<() => void>): void {
  const prototype = Items.prototype as unknown as Record<string, AnyMethod>;
  const original = prototype.query;
  if (typeof original !== 'function') throw new Error('@azure/cosmos has no Items.query to instrument');
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const iterator = original.apply(this, args) as Record<string, AnyMethod>;
    const spec = args[0];
    const text = typeof spec === 'string' ? spec : ((spec as { query?: string } | undefined)?.query ?? '');
    const container = (this as Items).container.id;
    for (const method of ['fetchNext', 'fetchAll'] as const) {
      const fetch = iterator[method];
      if (typeof fetch !== 'function') continue;
      iterator[method] = async function (this: unknown, ...fetchArgs: unknown[]) {
        try {
          const page = (await fetch.apply(this, fetchArgs)) as ResponseLike;
          recorded.push({
            kind: 'query',
            container,
            target: text,
            status: 200,
            requestCharge: page.requestCharge ?? 0,
            documentBytes: byteLength(page.resource),
          });
          return page;
        } catch (error) {
          recorded.push({
            kind: 'query',
            container,
            target: text,
            status: statusOfError(error),
            requestCharge: 0,
            documentBytes: 0,
          });
          throw error;
        }
      };
    }
    return iterator;
  };
  originals.push(() => {
    prototype.query = original;
  });
}
