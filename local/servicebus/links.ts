/**
 * Link attach and detach: what each link a client opens is for, decided by its address. A client
 * sender goes to `$cbs` (tokens), `<entity>/$management` (requests) or a queue (messages); a client
 * receiver is a reply link for those requests, a queue or dead-letter sub-queue, or a session. Entity
 * links need a CBS token for their path first. A refusal is AMQP 1.0's: the attach reply carries a null
 * source or target, and the detach that follows carries the error the SDK maps to its own.
 */
import type { EventContext, Receiver, Sender } from 'rhea';
import { asLink, type AmqpError, type Link } from './amqp-link.js';
import { isAuthorized, type ConnectionState, type Connections } from './connections.js';
import { answerDrainsOn, onCreditFlow } from './flow.js';
import { LinkConsumer } from './link-consumer.js';
import type { Namespace } from './namespace.js';
import { answerCbs, answerManagement, type SasKey } from './requests.js';
import { attachSession, SESSION_FILTER } from './session-attach.js';
import type { HeldDeliveries } from './settlement.js';
import { acceptTransfer } from './transfer.js';

const MANAGEMENT_SUFFIX = '/$management';
const CBS = '$cbs';

function unauthorized(path: string): AmqpError {
  return {
    condition: 'amqp:unauthorized-access',
    description: `Unauthorized access to '${path}': put a valid token first.`,
  };
}

function refuse(link: Link, error: AmqpError, refuseSource: boolean): void {
  if (refuseSource) link.local.attach.source = null;
  else link.local.attach.target = null;
  link.close(error);
}

export class Links {
  /** Deliveries sent under a lock, for settlement. */
  readonly deliveries: HeldDeliveries = new WeakMap();
  private readonly consumers = new WeakMap<Link, LinkConsumer>();
  /** What a transfer on a client sender means: a CBS token, a management request or a message. */
  private readonly transferRoles = new WeakMap<Link, (ctx: EventContext) => void>();

  constructor(
    private readonly namespace: Namespace,
    private readonly connections: Connections,
    private readonly sas: SasKey,
  ) {}

  /** A client sender attached: `$cbs`, `<entity>/$management` or a queue. */
  onClientSender(ctx: EventContext): void {
    const link = asLink(ctx.receiver as Receiver);
    const st = this.connections.of(ctx.connection);
    const attach = link.remote.attach ?? {};
    const address = attach.target?.address ?? '';
    link.set_target({ address });
    link.set_source({ address: attach.source?.address });
    link.local.attach.snd_settle_mode = attach.snd_settle_mode ?? 0;
    link.local.attach.rcv_settle_mode = 0;
    if (address === CBS) {
      link.local.attach.max_message_size = 1024 * 1024;
      this.transferRoles.set(link, (c) => answerCbs(c, st, this.namespace, this.sas));
      return;
    }
    if (address.endsWith(MANAGEMENT_SUFFIX)) {
      const path = address.slice(0, -MANAGEMENT_SUFFIX.length);
      const entity = this.namespace.entity(path);
      if (!entity) return refuse(link, this.namespace.notFound(path), false);
      if (!isAuthorized(st, address)) return refuse(link, unauthorized(address), false);
      link.local.attach.max_message_size = 1024 * 1024 * 100;
      this.transferRoles.set(link, (c) => answerManagement(c, st, entity));
      return;
    }
    const entity = this.namespace.queue(address);
    if (!entity) return refuse(link, this.namespace.notFound(address), false);
    if (!isAuthorized(st, address)) return refuse(link, unauthorized(address), false);
    // The SDK sizes batches from this; the service refuses bigger transfers with message-size-exceeded.
    link.local.attach.max_message_size = entity.settings.maxMessageSizeBytes;
    this.transferRoles.set(link, (c) => acceptTransfer(c, entity));
  }

  /** A client receiver attached: a reply link, a queue, a dead-letter sub-queue or a session. */
  onClientReceiver(ctx: EventContext): void {
    const link = asLink(ctx.sender as Sender);
    const st = this.connections.of(ctx.connection);
    const attach = link.remote.attach ?? {};
    const address = attach.source?.address ?? '';
    link.local.attach.snd_settle_mode = attach.snd_settle_mode ?? 0;
    link.local.attach.rcv_settle_mode = attach.rcv_settle_mode ?? 0;
    link.local.attach.max_message_size = 1024 * 1024 * 100;
    link.set_target({ address: attach.target?.address });
    const entity = this.namespace.entity(address);
    if (!entity) {
      link.set_source({ address });
      if (address === CBS || address.endsWith(MANAGEMENT_SUFFIX) || !address) {
        // A reply link: responses go to the link whose name or address the request's reply_to names.
        st.replyLinks.set(link.name, link as unknown as Sender);
        const replyAddress = attach.target?.address;
        if (replyAddress) st.replyLinks.set(replyAddress, link as unknown as Sender);
        return;
      }
      return refuse(link, this.namespace.notFound(address), true);
    }
    if (!isAuthorized(st, address)) {
      link.set_source({ address });
      return refuse(link, unauthorized(address), true);
    }
    const receiveAndDelete = attach.snd_settle_mode === 1;
    const consumer = new LinkConsumer(link, entity, receiveAndDelete, this.deliveries, st);
    answerDrainsOn(link);
    const filter = attach.source?.filter;
    if (entity.requiresSession) {
      if (!filter || !(SESSION_FILTER in filter)) {
        link.set_source({ address });
        return refuse(
          link,
          {
            condition: 'amqp:not-allowed',
            description: `The entity '${address}' requires sessions: use a session receiver.`,
          },
          true,
        );
      }
      const wanted = filter[SESSION_FILTER];
      attachSession({
        link,
        st,
        entity,
        consumer,
        wanted: typeof wanted === 'string' ? wanted : undefined,
        attach,
        register: () => this.addConsumer(link, st, consumer),
      });
      return;
    }
    link.set_source({ address });
    this.addConsumer(link, st, consumer);
  }

  /** A transfer from a client sender, handled by the role its link was given at attach. */
  onTransfer(ctx: EventContext): void {
    this.transferRoles.get(asLink(ctx.receiver as Receiver))?.(ctx);
  }

  /** A flow from a client receiver: more credit, or a drain request. */
  onFlow(link: Link): void {
    const consumer = this.consumers.get(link);
    if (consumer) onCreditFlow(link, consumer.entity);
  }

  /** A client receiver detached: its consumer leaves the queue, or a reply link is forgotten. */
  onLinkClosed(link: Link): void {
    const consumer = this.consumers.get(link);
    if (consumer) {
      consumer.detach();
      this.consumers.delete(link);
    }
    const st = this.connections.get(link.connection);
    if (st) for (const [k, v] of st.replyLinks) if ((v as unknown as Link) === link) st.replyLinks.delete(k);
  }

  private addConsumer(link: Link, st: ConnectionState, consumer: LinkConsumer): void {
    st.consumers.add(consumer);
    this.consumers.set(link, consumer);
    consumer.entity.addConsumer(consumer);
  }
}
