/**
 * The AMQP side of the emulator: rhea's server container, wired the way Azure Service Bus behaves
 * for the JavaScript SDK (see docs/servicebus-emulator.md and shared/reference/servicebus-amqp.md).
 *
 * rhea is built as a client first; three server-side adjustments live here:
 * - transfers reach us as raw bytes (we mark every delivery's format non-zero before rhea decodes it),
 *   so messages keep their original encoding;
 * - a drain request is always answered with a flow carrying drain=true and no credit;
 * - an attach can be answered later (acceptNextSession waits for a free session).
 */
import type { Server } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Connection, Delivery, EventContext, Message, Receiver, Sender, Session } from 'rhea';
import { AmqpFormatError, batchPayloads } from './amqp-bytes.js';
import type { QueueSettings } from './definitions.js';
import { Entity, type Consumer, type Lock, type SessionRecord } from './entity.js';
import { handleManagement } from './management.js';
import { messageUtil, rhea, types } from './rhea.js';
import { checkSasToken } from './sas.js';
import { encodeForDelivery, parseMessage, type StoredMessage } from './stored-message.js';

const BATCH_FORMAT = 0x80013700;
/** Marks a single message so rhea hands us its bytes instead of decoding it. */
const RAW_SINGLE_FORMAT = -1;
const MANAGEMENT_SUFFIX = '/$management';
const CBS = '$cbs';
const SESSION_FILTER = 'com.microsoft:session-filter';
const DOTNET_EPOCH_TICKS = 621355968000000000n;

export interface BrokerOptions {
  host: string;
  port: number;
  keyName: string;
  key: string;
  queues: QueueSettings[];
  /** Timer resolution for lock, schedule and TTL expiry. */
  tickMs?: number;
}

interface ConnectionState {
  /** Entity paths ('' = namespace) this connection holds a valid token for. */
  readonly authorized: Set<string>;
  readonly replyLinks: Map<string, Sender>;
  readonly consumers: Set<LinkConsumer>;
  readonly pendingAttaches: Set<() => void>;
}

interface Link {
  name: string;
  remote: { attach?: RemoteAttach };
  local: { attach: Record<string, unknown> };
  state: { local_open: boolean; open_requests: number };
  session: Session & { outgoing: Outgoing };
  connection: Connection;
  credit: number;
  delivery_count: number;
  issue_flow: boolean;
  _draining?: boolean;
  _get_drain(): boolean;
  set_source(fields: Record<string, unknown>): void;
  set_target(fields: Record<string, unknown>): void;
  open(): void;
  close(error?: { condition: string; description: string }): void;
  is_open(): boolean;
  send(msg: Buffer | Message, tag?: Buffer, format?: number): Delivery;
}

interface Outgoing {
  next_delivery_id: number;
  next_pending_delivery: number;
  deliveries: { available(): number };
}

interface RemoteAttach {
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  source?: { address?: string; filter?: Record<string, unknown> } | null;
  target?: { address?: string } | null;
  properties?: Record<string, unknown>;
}

const asLink = (l: Sender | Receiver): Link => l as unknown as Link;

/** .NET Guid.ToByteArray() order: the delivery tag Service Bus uses for a lock token. */
function lockTokenTag(token: string): Buffer {
  const b = rhea.string_to_uuid(token);
  return Buffer.from([b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], ...b.subarray(8)] as number[]);
}

function dotnetTicks(ms: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(BigInt(ms) * 10000n + DOTNET_EPOCH_TICKS);
  return buf;
}

/** A receiver link of a client, seen from the broker: our sender with the client's credit. */
class LinkConsumer implements Consumer {
  boundSession: SessionRecord | undefined;
  private tag = 0;

  constructor(
    readonly link: Link,
    readonly entity: Entity,
    readonly receiveAndDelete: boolean,
    private readonly deliveries: WeakMap<Delivery, { lock: Lock; entity: Entity }>,
    readonly connection: ConnectionState,
  ) {}

  available(): number {
    if (!this.link.is_open()) return 0;
    const out = this.link.session.outgoing;
    // Deliveries queued in this tick are not yet charged against credit; count them ourselves.
    const pending = out.next_delivery_id - out.next_pending_delivery;
    return Math.min(this.link.credit - pending, out.deliveries.available());
  }

  deliver(message: StoredMessage, lock: Lock | undefined): void {
    const bytes = encodeForDelivery(message, { lockedUntil: lock?.lockedUntil });
    let tag: Buffer;
    if (lock) tag = lockTokenTag(lock.token);
    else {
      tag = Buffer.alloc(8);
      tag.writeDoubleBE(this.tag++);
    }
    const delivery = this.link.send(bytes, tag, 0);
    if (lock) this.deliveries.set(delivery, { lock, entity: this.entity });
  }

  sessionLost(): void {
    const id = this.boundSession?.id ?? '';
    this.detach();
    this.link.close({
      condition: 'com.microsoft:session-lock-lost',
      description: `The session lock has expired on the MessageSession '${id}'.`,
    });
  }

  detach(): void {
    this.connection.consumers.delete(this);
    this.entity.removeConsumer(this);
  }
}

export class Broker {
  private readonly entities = new Map<string, Entity>();
  private readonly connections = new Map<Connection, ConnectionState>();
  private readonly consumersByLink = new WeakMap<Link, LinkConsumer>();
  private readonly receiverRoles = new WeakMap<Link, (ctx: EventContext) => void>();
  private readonly deliveries = new WeakMap<Delivery, { lock: Lock; entity: Entity }>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private boundPort = 0;

  constructor(private readonly options: BrokerOptions) {
    for (const q of options.queues) {
      const entity = new Entity(q, q.name, Date.now);
      this.entities.set(q.name, entity);
      if (entity.deadLetter) this.entities.set(entity.deadLetter.path, entity.deadLetter);
    }
  }

  get port(): number {
    return this.boundPort;
  }

  queue(name: string): Entity | undefined {
    const e = this.entities.get(name);
    return e && e.deadLetter ? e : undefined;
  }

  queueNames(): string[] {
    return [...this.entities.values()].filter((e) => e.deadLetter).map((e) => e.path);
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
    on('connection_open', (ctx: EventContext) => {
      this.state(ctx.connection);
      coalesceWrites(ctx.connection);
    });
    on('session_open', (ctx: EventContext) => this.rawTransfers(ctx.session as Session));
    on('receiver_open', (ctx: EventContext) => this.onClientSender(ctx));
    on('sender_open', (ctx: EventContext) => this.onClientReceiver(ctx));
    on('message', (ctx: EventContext) => this.receiverRoles.get(asLink(ctx.receiver as Receiver))?.(ctx));
    on('sender_flow', (ctx: EventContext) => this.onFlow(asLink(ctx.sender as Sender)));
    on('accepted', (ctx: EventContext) => this.onSettle(ctx, 'complete'));
    on('rejected', (ctx: EventContext) => this.onSettle(ctx, 'deadletter'));
    on('modified', (ctx: EventContext) => this.onSettle(ctx, 'modified'));
    on('released', (ctx: EventContext) => this.onSettle(ctx, 'abandon'));
    on('sender_close', (ctx: EventContext) => this.onLinkClosed(asLink(ctx.sender as Sender)));
    on('receiver_close', () => undefined);
    on('connection_close', (ctx: EventContext) => this.onConnectionGone(ctx.connection));
    on('disconnected', (ctx: EventContext) => this.onConnectionGone(ctx.connection));
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
    this.boundPort = (server.address() as AddressInfo).port;
    this.timer = setInterval(() => {
      for (const e of this.entities.values()) if (e.deadLetter) e.tick();
    }, this.options.tickMs ?? 20);
    this.timer.unref();
    return this.boundPort;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const [connection, st] of this.connections) {
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

  // ---- connections and links ---------------------------------------------------------------

  private state(connection: Connection): ConnectionState {
    let st = this.connections.get(connection);
    if (!st) {
      st = { authorized: new Set(), replyLinks: new Map(), consumers: new Set(), pendingAttaches: new Set() };
      this.connections.set(connection, st);
    }
    return st;
  }

  /** Makes rhea hand over every incoming message as bytes (it decodes only format 0 itself). */
  private rawTransfers(session: Session): void {
    const s = session as unknown as {
      on_transfer(frame: { performative: { message_format?: number } }): void;
    };
    const original = s.on_transfer.bind(s);
    s.on_transfer = (frame) => {
      if (!frame.performative.message_format) frame.performative.message_format = RAW_SINGLE_FORMAT;
      original(frame);
    };
  }

  private onConnectionGone(connection: Connection): void {
    const st = this.connections.get(connection);
    if (!st) return;
    this.connections.delete(connection);
    for (const cancel of st.pendingAttaches) cancel();
    // Locks stay: the messages come back when their locks expire, as on Azure.
    for (const c of st.consumers) c.detach();
  }

  private isAuthorized(st: ConnectionState, path: string): boolean {
    for (const p of st.authorized) if (p === '' || p === path || path.startsWith(p + '/')) return true;
    return false;
  }

  private notFound(path: string): { condition: string; description: string } {
    return {
      condition: 'amqp:not-found',
      description: `The messaging entity 'sb://${this.options.host}:${this.boundPort}/${path}' could not be found.`,
    };
  }

  private refuse(link: Link, error: { condition: string; description: string }, refuseSource: boolean): void {
    if (refuseSource) link.local.attach.source = null;
    else link.local.attach.target = null;
    link.close(error);
  }

  /** A client sender attached: `$cbs`, `<entity>/$management` or a queue. */
  private onClientSender(ctx: EventContext): void {
    const link = asLink(ctx.receiver as Receiver);
    const st = this.state(ctx.connection);
    const attach = link.remote.attach ?? {};
    const address = attach.target?.address ?? '';
    link.set_target({ address });
    link.set_source({ address: attach.source?.address });
    link.local.attach.snd_settle_mode = attach.snd_settle_mode ?? 0;
    link.local.attach.rcv_settle_mode = 0;
    if (address === CBS) {
      link.local.attach.max_message_size = 1024 * 1024;
      this.receiverRoles.set(link, (c) => this.onCbsRequest(c, st));
      return;
    }
    if (address.endsWith(MANAGEMENT_SUFFIX)) {
      const path = address.slice(0, -MANAGEMENT_SUFFIX.length);
      const entity = this.entities.get(path);
      if (!entity) return this.refuse(link, this.notFound(path), false);
      if (!this.isAuthorized(st, address)) return this.refuse(link, this.unauthorized(address), false);
      link.local.attach.max_message_size = 1024 * 1024 * 100;
      this.receiverRoles.set(link, (c) => this.onManagementRequest(c, st, entity));
      return;
    }
    const entity = this.queue(address);
    if (!entity) return this.refuse(link, this.notFound(address), false);
    if (!this.isAuthorized(st, address)) return this.refuse(link, this.unauthorized(address), false);
    // The SDK sizes batches from this; the service refuses bigger transfers with message-size-exceeded.
    link.local.attach.max_message_size = entity.settings.maxMessageSizeBytes;
    this.receiverRoles.set(link, (c) => this.onIncomingMessage(c, entity));
  }

  private unauthorized(path: string): { condition: string; description: string } {
    return {
      condition: 'amqp:unauthorized-access',
      description: `Unauthorized access to '${path}': put a valid token first.`,
    };
  }

  /** A client receiver attached: a reply link, a queue, a dead-letter sub-queue or a session. */
  private onClientReceiver(ctx: EventContext): void {
    const link = asLink(ctx.sender as Sender);
    const st = this.state(ctx.connection);
    const attach = link.remote.attach ?? {};
    const address = attach.source?.address ?? '';
    link.local.attach.snd_settle_mode = attach.snd_settle_mode ?? 0;
    link.local.attach.rcv_settle_mode = attach.rcv_settle_mode ?? 0;
    link.local.attach.max_message_size = 1024 * 1024 * 100;
    link.set_target({ address: attach.target?.address });
    const entity = this.entities.get(address);
    if (!entity) {
      link.set_source({ address });
      if (address === CBS || address.endsWith(MANAGEMENT_SUFFIX) || !address) {
        // A reply link: responses go to the link whose name or address the request's reply_to names.
        st.replyLinks.set(link.name, link as unknown as Sender);
        const replyAddress = attach.target?.address;
        if (replyAddress) st.replyLinks.set(replyAddress, link as unknown as Sender);
        return;
      }
      return this.refuse(link, this.notFound(address), true);
    }
    if (!this.isAuthorized(st, address)) {
      link.set_source({ address });
      return this.refuse(link, this.unauthorized(address), true);
    }
    const receiveAndDelete = attach.snd_settle_mode === 1;
    const consumer = new LinkConsumer(link, entity, receiveAndDelete, this.deliveries, st);
    (link as unknown as { _get_drain(): boolean })._get_drain = drainFlag;
    const filter = attach.source?.filter;
    if (entity.requiresSession) {
      if (!filter || !(SESSION_FILTER in filter)) {
        link.set_source({ address });
        return this.refuse(
          link,
          {
            condition: 'amqp:not-allowed',
            description: `The entity '${address}' requires sessions: use a session receiver.`,
          },
          true,
        );
      }
      const wanted = filter[SESSION_FILTER];
      this.attachSession(link, st, entity, consumer, typeof wanted === 'string' ? wanted : undefined, attach);
      return;
    }
    link.set_source({ address });
    this.addConsumer(link, st, consumer);
  }

  private addConsumer(link: Link, st: ConnectionState, consumer: LinkConsumer): void {
    st.consumers.add(consumer);
    this.consumersByLink.set(link, consumer);
    consumer.entity.addConsumer(consumer);
  }

  private attachSession(
    link: Link,
    st: ConnectionState,
    entity: Entity,
    consumer: LinkConsumer,
    wanted: string | undefined,
    attach: RemoteAttach,
  ): void {
    const address = entity.path;
    const grant = (s: SessionRecord): void => {
      link.set_source({ address, filter: { [SESSION_FILTER]: s.id } });
      link.local.attach.properties = {
        'com.microsoft:locked-until-utc': types.wrap_long(dotnetTicks(s.lockedUntil)),
      };
      this.addConsumer(link, st, consumer);
    };
    const result = entity.acceptSession(consumer, wanted);
    if (result === 'locked') {
      link.set_source({ address, filter: {} });
      link.local.attach.properties = {};
      link.close({
        condition: 'com.microsoft:session-cannot-be-locked',
        description: `The requested session '${wanted}' cannot be accepted. It may be locked by another receiver.`,
      });
      return;
    }
    if (result) {
      grant(result);
      return;
    }
    // No free session yet: hold the attach reply until one frees up or the client's timeout passes.
    link.state.local_open = false;
    link.state.open_requests = Math.max(0, link.state.open_requests - 1);
    const timeoutMs = Number(attach.properties?.['com.microsoft:timeout'] ?? 60_000);
    let timer: NodeJS.Timeout | undefined = undefined;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      cancelWait();
      st.pendingAttaches.delete(cancel);
    };
    const cancelWait = entity.waitForSession(consumer, (s) => {
      finish();
      grant(s);
      link.open();
      entity.pump();
    });
    const cancel = (): void => finish();
    st.pendingAttaches.add(cancel);
    timer = setTimeout(() => {
      finish();
      link.set_source({ address, filter: {} });
      link.local.attach.properties = {};
      link.open();
      link.close({
        condition: 'com.microsoft:timeout',
        description: 'No unlocked session was available within the requested timeout.',
      });
    }, timeoutMs);
    timer.unref();
  }

  private onLinkClosed(link: Link): void {
    const consumer = this.consumersByLink.get(link);
    if (consumer) {
      consumer.detach();
      this.consumersByLink.delete(link);
    }
    const st = this.connections.get(link.connection);
    if (st) for (const [k, v] of st.replyLinks) if ((v as unknown as Link) === link) st.replyLinks.delete(k);
  }

  // ---- flow ---------------------------------------------------------------------------------

  private onFlow(link: Link): void {
    const consumer = this.consumersByLink.get(link);
    if (!consumer) return;
    consumer.entity.pump();
    if (link._draining) {
      // Drain: whatever credit is left is used up, and the answer carries drain=true, credit 0.
      const out = link.session.outgoing;
      const pending = out.next_delivery_id - out.next_pending_delivery;
      const unused = Math.max(0, link.credit - pending);
      link.delivery_count += unused;
      link.credit -= unused;
      link._draining = false;
      (link as unknown as { _sb_drain: boolean })._sb_drain = true;
      link.issue_flow = true;
      (link.connection as unknown as { _register(): void })._register();
    }
  }

  // ---- settlement ---------------------------------------------------------------------------

  private onSettle(ctx: EventContext, kind: 'complete' | 'deadletter' | 'modified' | 'abandon'): void {
    const delivery = ctx.delivery as Delivery & {
      remote_state?: Record<string, unknown>;
      remote_settled: boolean;
    };
    const held = this.deliveries.get(delivery);
    if (!held) return;
    this.deliveries.delete(delivery);
    const { lock, entity } = held;
    const state = delivery.remote_state ?? {};
    let result;
    let echo;
    switch (kind) {
      case 'complete':
        result = entity.complete(lock.token);
        echo = messageUtil.accepted();
        break;
      case 'abandon':
        result = entity.abandon(lock.token);
        echo = messageUtil.released();
        break;
      case 'modified': {
        const props = state.message_annotations as Record<string, unknown> | undefined;
        result = state.undeliverable_here
          ? entity.defer(lock.token, props)
          : entity.abandon(lock.token, props);
        echo = messageUtil.modified({ undeliverable_here: state.undeliverable_here ?? false });
        break;
      }
      case 'deadletter': {
        const error = (state.error ?? {}) as { info?: Record<string, unknown> };
        const info = { ...(error.info ?? {}) };
        const reason = info.DeadLetterReason as string | undefined;
        const description = info.DeadLetterErrorDescription as string | undefined;
        delete info.DeadLetterReason;
        delete info.DeadLetterErrorDescription;
        result = entity.deadLetterByLock(lock.token, reason, description, info);
        echo = messageUtil.rejected({});
        break;
      }
    }
    const outcome =
      result === 'ok'
        ? echo
        : messageUtil.rejected({
            error: {
              condition: 'com.microsoft:message-lock-lost',
              description:
                'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
            },
          });
    delivery.update(true, outcome.described());
    // Once we settle, the delivery is done; without this rhea would keep it in the session window forever.
    (delivery as { remote_settled: boolean }).remote_settled = true;
  }

  // ---- requests -----------------------------------------------------------------------------

  private decodeRequest(ctx: EventContext): Message | undefined {
    const delivery = ctx.delivery as Delivery;
    delivery.update(true, messageUtil.accepted().described());
    try {
      return messageUtil.decode(ctx.message as unknown as Buffer);
    } catch {
      return undefined;
    }
  }

  private reply(st: ConnectionState, request: Message, message: Message): void {
    const to = request.reply_to;
    const link = to ? st.replyLinks.get(to) : undefined;
    if (!link) return;
    link.send({ ...message, correlation_id: request.message_id, to });
  }

  private onCbsRequest(ctx: EventContext, st: ConnectionState): void {
    const request = this.decodeRequest(ctx);
    if (!request) return;
    const props = request.application_properties ?? {};
    const respond = (code: number, description: string): void =>
      this.reply(st, request, {
        body: undefined,
        application_properties: { 'status-code': code, 'status-description': description },
      });
    if (props.operation !== 'put-token')
      return respond(400, `Unsupported operation '${String(props.operation)}'.`);
    const check = checkSasToken(
      String(request.body ?? ''),
      this.options.keyName,
      this.options.key,
      Date.now(),
    );
    if (!check.ok || check.path === undefined)
      return respond(401, `Unauthorized: ${check.reason ?? 'invalid token'}`);
    const path = check.path.replace(/\/\$management$/, '');
    if (path !== '' && !this.entities.has(path)) {
      return respond(
        404,
        `The messaging entity 'sb://${this.options.host}:${this.boundPort}/${path}' could not be found.`,
      );
    }
    st.authorized.add(check.path);
    respond(202, 'Accepted');
  }

  private onManagementRequest(ctx: EventContext, st: ConnectionState, entity: Entity): void {
    const request = this.decodeRequest(ctx);
    if (!request) return;
    const operation = String(request.application_properties?.operation ?? '');
    let response;
    try {
      const body = (request.body ?? {}) as Record<string, unknown>;
      response = handleManagement(entity, operation, body);
    } catch (err) {
      response = {
        statusCode: 400,
        condition: 'amqp:invalid-field',
        description: `Bad ${operation} request: ${(err as Error).message}`,
        body: undefined,
      };
    }
    const application_properties: Record<string, unknown> = {
      statusCode: response.statusCode,
      statusDescription: response.description,
    };
    if (response.condition) application_properties['error-condition'] = response.condition;
    const message: Message = { body: undefined, application_properties };
    if (response.body) message.body = response.body;
    this.reply(st, request, message);
  }

  private onIncomingMessage(ctx: EventContext, entity: Entity): void {
    const delivery = ctx.delivery as Delivery;
    const bytes = ctx.message as unknown as Buffer;
    const format = (ctx as { format?: number }).format;
    const reject = (condition: string, description: string): void =>
      delivery.update(true, messageUtil.rejected({ error: { condition, description } }).described());
    if (bytes.length > entity.settings.maxMessageSizeBytes) {
      return reject(
        'amqp:link:message-size-exceeded',
        `The received message (delivery-id:${delivery.id}, size:${bytes.length} bytes) exceeds the limit (${entity.settings.maxMessageSizeBytes} bytes) currently allowed on the link.`,
      );
    }
    let parsed;
    try {
      const payloads = format === BATCH_FORMAT ? batchPayloads(bytes) : [bytes];
      parsed = payloads.map(parseMessage);
    } catch (err) {
      if (!(err instanceof AmqpFormatError) && !(err instanceof Error)) throw err;
      return reject('amqp:decode-error', `Cannot decode the message: ${err.message}`);
    }
    for (const p of parsed) {
      const refusal = entity.refusal(p.message);
      if (refusal) return reject('amqp:not-allowed', refusal);
    }
    for (const p of parsed) entity.enqueue(p.message, p.scheduledAt);
    delivery.update(true, messageUtil.accepted().described());
  }
}

/**
 * rhea writes every frame to the socket as soon as it is encoded (one syscall and a heartbeat timer
 * reset per frame). Under load that is most of a broker's work, so we flush once per event-loop turn,
 * corked, which turns hundreds of small frames into one write.
 *
 * Clients do not disable Nagle's algorithm, so a client's small frame that gets no reply (a credit
 * flow, say) waits for our delayed TCP ACK (~40 ms on Linux) and holds back its next frame. Answering
 * every read that produced no frames with an empty AMQP frame (a heartbeat, legal at any time) carries
 * the ACK at once: send-to-handler latency drops from ~45 ms to a few ms.
 */
const EMPTY_FRAME = Buffer.from([0, 0, 0, 8, 2, 0, 0, 0]);

function coalesceWrites(connection: Connection): void {
  const c = connection as unknown as {
    output(): void;
    socket?: Socket;
    transport?: { pending: unknown[] };
  };
  const flush = c.output.bind(c);
  let scheduled = false;
  let wroteFrames = false;
  let readSinceFlush = false;
  const run = (): void => {
    scheduled = false;
    const socket = c.socket;
    if (!socket || socket.destroyed) return;
    socket.cork();
    try {
      if (wroteFrames) flush();
      else if (readSinceFlush && socket.writable) socket.write(EMPTY_FRAME);
    } finally {
      wroteFrames = false;
      readSinceFlush = false;
      socket.uncork();
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(run);
  };
  c.output = () => {
    wroteFrames = true;
    schedule();
  };
  c.socket?.on('data', () => {
    readSinceFlush = true;
    schedule();
  });
}

/** Our senders report drain=true exactly once after answering a drain request. */
function drainFlag(this: { _sb_drain?: boolean }): boolean {
  if (this._sb_drain) {
    this._sb_drain = false;
    return true;
  }
  return false;
}
