/** A small local HTTP endpoint: GET /stats returns per-queue counts as JSON (tests, dev host, dashboard). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startStatsServer(
  host: string,
  port: number,
  /** The emulator's per-queue counts, served as they are (typed by index.ts, not needed here). */
  stats: () => unknown,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/stats' || req.url?.startsWith('/stats?'))) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(stats()));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not found: use GET /stats' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/stats`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
