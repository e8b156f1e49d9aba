/**
 * cosmosdb-server's HTTP server, built here from its own account and routes so that the local stack
 * can reach the account (its databases, containers and documents) to save and restore it: the
 * package's `createHttpServer()` keeps the account in a closure. The request handling is the
 * package's (lib/index.js, 1.0.1): route, run the handler, answer JSON with the same headers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The parts of cosmosdb-server's account (lib/account/*.js) that snapshots use. */
export interface ItemsInternals<T> {
  _data: Map<string, T>;
  _index: Map<string, string>;
  _ridCount: number;
  _set(data: Record<string, unknown>): Record<string, unknown>;
}

export interface DocumentItem {
  read(): Record<string, unknown>;
}

export interface CollectionItem {
  read(): Record<string, unknown>;
  readonly documents: ItemsInternals<DocumentItem>;
}

export interface DatabaseItem {
  read(): Record<string, unknown>;
  readonly collections: ItemsInternals<CollectionItem>;
}

export interface CosmosAccount {
  readonly databases: ItemsInternals<DatabaseItem>;
}

type RouteHandler = (
  account: CosmosAccount,
  req: IncomingMessage,
  res: ServerResponse,
  params: unknown,
) => Promise<Record<string, unknown> | undefined>;

const routes = (
  require('@vercel/cosmosdb-server/lib/routes.js') as {
    default: (req: IncomingMessage) => [unknown, RouteHandler] | undefined;
  }
).default;
const Account = (
  require('@vercel/cosmosdb-server/lib/account/index.js') as {
    default: new (host: string, port: number) => CosmosAccount;
  }
).default;

export interface AccountServer {
  readonly server: Server;
  /** The account; exists once the server listens (its address is part of the account's metadata). */
  readonly account: () => CosmosAccount;
}

export function createAccountServer(options: { keepAlive: boolean }): AccountServer {
  let account: CosmosAccount | undefined;
  const server = createServer((req, res) => {
    if (!account) throw new Error('cosmos: request before listening');
    void handle(account, req, res, options.keepAlive);
  });
  server.on('listening', () => {
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('cosmos: no address');
    const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
    account ??= new Account(host, address.port);
  });
  return {
    server,
    account: () => {
      if (!account) throw new Error('cosmos: the account exists once the server listens');
      return account;
    },
  };
}

async function handle(
  account: CosmosAccount,
  req: IncomingMessage,
  res: ServerResponse,
  keepAlive: boolean,
): Promise<void> {
  try {
    const route = routes(req);
    let body: Record<string, unknown> | undefined;
    if (route) {
      const [params, handler] = route;
      try {
        body = await handler(account, req, res, params);
      } catch (error) {
        console.error(error);
        body = { message: error instanceof Error ? error.message : String(error) };
        res.statusCode = 500;
      }
      if (res.statusCode > 399 && body && !body.message) body.message = '';
    } else {
      res.statusCode = 400;
      body = { message: 'no route' };
    }
    if (body && typeof body._etag === 'string') res.setHeader('etag', body._etag);
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-location', `https://${req.headers.host}${req.url}`);
    res.setHeader('connection', keepAlive ? 'keep-alive' : 'close');
    res.setHeader('x-ms-activity-id', randomUUID());
    res.setHeader('x-ms-request-charge', '1');
    if (req.headers['a-im'] && res.statusCode === 200) {
      if (req.headers['if-none-match']) res.statusCode = 304;
      res.setHeader('etag', '1');
    }
    res.end(JSON.stringify(body));
  } catch (error) {
    console.error(error);
    if (!res.writableEnded) {
      res.statusCode = 500;
      res.end('');
    }
  }
}
