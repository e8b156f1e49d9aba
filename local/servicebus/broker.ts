/**
 * The AMQP side of the emulator: rhea's server container, wired the way Azure Service Bus behaves
 * for the JavaScript SDK (see docs/servicebus-emulator.md and shared/reference/servicebus-amqp.md).
 * This module owns the listener, the sockets and the timer tick, and routes rhea's events to the
 * modules that handle them: links.ts (attach, detach, transfers, flow), settlement.ts, connections.ts.
 *
 * rhea is built as a client first; three server-side adjustments make it a Service Bus:
 * - transfers reach us as raw bytes, so messages keep their original encoding (transfer.ts);
 * - a drain request is always answered with a flow carrying drain=true and no credit (flow.ts);
 * - an attach can be answered later: acceptNextSession waits for a free session (session-attach.ts).
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import type { EventContext, Sender, Session } from 'rhea';
import { asLink } from './amqp-link.js';
import { Connections } from './connections.js';
import type { QueueSettings } from './definitions.js';
import type { Entity } from './entity.js';
import { Links } from './links.js';
import { Namespace } from './namespace.js';
import { rhea } from './rhea.js';
import { settle } from './settlement.js';
import { receiveRawTransfers } from './transfer.js';
import { coalesceWrites } from './write-coalescing.js';

export interface BrokerOptions {
  host: string;
  port: number;
  keyName: string;
  key: string;
  queues: QueueSettings[];
  /** Timer resolution for lock, schedule and TTL expiry. */
  tickMs?: number;
}

export class Broker {
  private readonly namespace: Namespace;
  private readonly connections = new Connections();
  private readonly links: Links;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BrokerOptions) {
    this.namespace = new Namespace(options.queues, options.host);
    this.links = new Links(this.namespace, this.connections, options);
  }

  get port(): number {
    return this.namespace.port;
  }

  queue(name: string): Entity | undefined {
    return this.namespace.queue(name);
  }

  queueNames(): string[] {
    return this.namespace.queueNames();
  }

  async start(): Promise<number> {
    const container = rhea.create_container({
      id: 'servicebus-emulator',
      autoaccept: false,
      treat_modified_as_released: false,
    });
    // A bad frame or request from one client must not take the broker down for everyone: handlers
    // are guarded, and a failure closes only that client's connection.
    const on = (event: string, handler: (ctx: EventContext) => void): void => {
      container.on(event, (ctx: EventContext) => {
        try {
          handler(ctx);
        } catch (err) {
          console.error(`servicebus emulator: ${event} handler failed: ${(err as Error).message}`);
          try {
            ctx.connection.close({ condition: 'amqp:internal-error', description: (err as Error).message });
          } catch {
            // the connection is already gone
          }
        }
      });
    };
    const links = this.links;
    const deliveries = links.deliveries;
    on('connection_open', (ctx) => {
      this.connections.of(ctx.connection);
      coalesceWrites(ctx.connection);
    });
    on('session_open', (ctx) => receiveRawTransfers(ctx.session as Session));
    on('receiver_open', (ctx) => links.onClientSender(ctx));
    on('sender_open', (ctx) => links.onClientReceiver(ctx));
    on('message', (ctx) => links.onTransfer(ctx));
    on('sender_flow', (ctx) => links.onFlow(asLink(ctx.sender as Sender)));
    on('accepted', (ctx) => settle(ctx, 'complete', deliveries));
    on('rejected', (ctx) => settle(ctx, 'deadletter', deliveries));
    on('modified', (ctx) => settle(ctx, 'modified', deliveries));
    on('released', (ctx) => settle(ctx, 'abandon', deliveries));
    on('sender_close', (ctx) => links.onLinkClosed(asLink(ctx.sender as Sender)));
    on('receiver_close', () => undefined);
    on('connection_close', (ctx) => this.connections.gone(ctx.connection));
    on('disconnected', (ctx) => this.connections.gone(ctx.connection));
    // Link and connection errors from clients are theirs to handle; the broker must not crash on them.
    container.on('error', () => undefined);

    // tcp_no_delay: small frames (dispositions, flows) must not wait for Nagle's algorithm.
    const listenOptions = { port: this.options.port, host: this.options.host, tcp_no_delay: true };
    const server: Server = container.listen(listenOptions as Parameters<typeof container.listen>[0]);
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.namespace.port = (server.address() as AddressInfo).port;
    this.timer = setInterval(() => this.namespace.tick(), this.options.tickMs ?? 20);
    this.timer.unref();
    return this.namespace.port;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const [connection, st] of this.connections.entries()) {
      for (const cancel of st.pendingAttaches) cancel();
      try {
        connection.close();
      } catch {
        // already closing
      }
    }
    await new Promise((r) => setImmediate(r));
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
