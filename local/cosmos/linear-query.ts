/**
 * Queries in the embedded Cosmos DB in time linear in the documents they read.
 *
 * @zeit/cosmosdb-query (under @vercel/cosmosdb-server) compiles every query's FROM into
 * `collection.reduce(($, c) => [...$, { c }], [])`: each document copies the whole accumulator, so a
 * query over n documents costs O(n²). With one tenant's jobs in the soak, the token-budget aggregate
 * (`SUM(c.usage.totalTokens)` over the tenant, every 10 s) took 0.3 s at 5,000 jobs, 2 s at 10,000 and
 * 22 s at 20,000, on the emulators' thread, and the whole stack stalled behind it. Here the compiled
 * JavaScript is rewritten before it runs: an array literal that starts with `...$` (the accumulator)
 * becomes `($.push(rest), $)`. The accumulator is the fresh `[]` each reduce starts from, so appending
 * to it returns what the copy would have; the query's result is unchanged.
 */
import { createRequire } from 'node:module';

interface Node {
  type: string;
  [key: string]: unknown;
}

interface QueryPrototype {
  _code: string | null;
  ast: unknown;
}

const require = createRequire(import.meta.url);

let applied = false;

export function linearQueryAccumulation(): void {
  if (applied) return;
  applied = true;
  // Resolved from the query library's own folder: the transformer and generator it uses itself.
  const library = require.resolve('@zeit/cosmosdb-query');
  const local = createRequire(library);
  const transform = (local('./transformer') as { default: (ast: unknown) => Node }).default;
  const generate = (local('@babel/generator') as { default: (ast: Node) => { code: string } }).default;
  const Query = (local('./index') as { default: (sql: string) => object }).default('SELECT * FROM c')
    .constructor as { prototype: QueryPrototype };
  Object.defineProperty(Query.prototype, 'code', {
    configurable: true,
    get(this: QueryPrototype): string {
      if (!this._code) this._code = generate(appendInPlace(transform(this.ast))).code;
      return this._code;
    },
  });
}

/** `[...$, a, ...b]` -> `($.push(a, ...b), $)`, everywhere in the tree. */
export function appendInPlace(node: Node): Node {
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value)) {
      node[key] = value.map((child: unknown) => (isNode(child) ? appendInPlace(child) : child));
    } else if (isNode(value)) {
      node[key] = appendInPlace(value);
    }
  }
  if (node.type !== 'ArrayExpression') return node;
  const [first, ...rest] = node.elements as Array<Node | null>;
  if (!first || first.type !== 'SpreadElement' || !isAccumulator(first.argument)) return node;
  const accumulator: Node = { type: 'Identifier', name: '$' };
  return {
    type: 'SequenceExpression',
    expressions: [
      {
        type: 'CallExpression',
        callee: {
          type: 'MemberExpression',
          object: accumulator,
          property: { type: 'Identifier', name: 'push' },
          computed: false,
        },
        arguments: rest,
      },
      { type: 'Identifier', name: '$' },
    ],
  };
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';
}

function isAccumulator(value: unknown): boolean {
  return isNode(value) && value.type === 'Identifier' && value.name === '$';
}
