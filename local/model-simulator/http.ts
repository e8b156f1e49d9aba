/**
 * HTTP plumbing: the listening server, JSON responses with the headers every Azure OpenAI response
 * carries (`x-request-id`, `apim-request-id`), and timers for delayed answers. The server and the timers
 * are tracked so `close()` ends at once even while a request is deliberately hanging or mid-stream.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ErrorResponse } from './azure-errors.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 = ephemeral); every request is read whole before the handler sees it. */
export async function listen(
  port: number,
  host: string,
  handler: RequestHandler,
  onUnreadable: (res: ServerResponse, error: unknown) => void,
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler(req, res, body))
      .catch((error: unknown) => onUnreadable(res, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Delayed actions (simulated latency), all cancelled together when the simulator closes. */
export class PendingTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

export function baseHeaders(): Record<string, string> {
  const requestId = randomUUID();
  return { 'x-request-id': requestId, 'apim-request-id': requestId, 'x-ms-simulated': 'true' };
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function send(
  res: ServerResponse,
  response: ErrorResponse,
  extraHeaders: Record<string, string> = {},
): void {
  sendJson(res, response.status, response.body, { ...extraHeaders, ...response.headers });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders(),
    ...extraHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
