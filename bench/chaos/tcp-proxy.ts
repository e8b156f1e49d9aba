/**
 * A TCP proxy between the platform and the Service Bus emulator that can cut its connections: what a
 * dropped AMQP connection looks like to the SDK (a NAT timeout, a gateway restart, a flaky network).
 * Every connection through it is a pair of sockets; cutting one destroys both ends at once, mid-frame
 * if need be, so links, locks and in-flight settlements are lost the hard way.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections open now. */
  open(): number;
  /** Destroys `count` connections picked by `pick` (an index below the number open); returns how many. */
  cut(count: number, pick: (open: number) => number): number;
  /** Connections cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<readonly [Socket, Socket]>();
  let cutCount = 0;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Errors are the point here (ECONNRESET after a cut); each side ends the other.
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
  return {
    port: address.port,
    open: () => pairs.size,
    cut(count, pick) {
      let done = 0;
      for (; done < count && pairs.size > 0; done += 1) {
        const pair = [...pairs][pick(pairs.size)];
        if (!pair) break;
        pairs.delete(pair);
        // resetAndDestroy sends RST where it can, like a middlebox dropping the flow.
        pair[0].resetAndDestroy();
        pair[1].resetAndDestroy();
      }
      cutCount += done;
      return done;
    },
    cuts: () => cutCount,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      }),
  };
}

/** A port nobody listens on now (bound and released): where the emulator is asked to listen. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
