/**
 * A client's receiver link seen from the broker: our sender, whose credit is the client's. The entity
 * pushes messages to it; it encodes them with the lock's expiry in the message annotations and tags
 * each delivery with the lock token, which is how the SDK learns `lockToken` (Service Bus sends the
 * token's .NET byte order as the delivery tag).
 */
import { unsentDeliveries, type Link } from './amqp-link.js';
import type { ConnectionState } from './connections.js';
import type { Consumer, Entity, Lock, SessionRecord } from './entity.js';
import { rhea } from './rhea.js';
import type { HeldDeliveries } from './settlement.js';
import { encodeForDelivery, type StoredMessage } from './stored-message.js';

/** .NET Guid.ToByteArray() order: the delivery tag Service Bus uses for a lock token. */
function lockTokenTag(token: string): Buffer {
  const b = rhea.string_to_uuid(token);
  return Buffer.from([b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], ...b.subarray(8)] as number[]);
}

export class LinkConsumer implements Consumer {
  boundSession: SessionRecord | undefined;
  private tag = 0;

  constructor(
    readonly link: Link,
    readonly entity: Entity,
    readonly receiveAndDelete: boolean,
    private readonly deliveries: HeldDeliveries,
    readonly connection: ConnectionState,
  ) {}

  available(): number {
    if (!this.link.is_open()) return 0;
    // Deliveries queued in this tick are not yet charged against credit; count them ourselves.
    return Math.min(
      this.link.credit - unsentDeliveries(this.link),
      this.link.session.outgoing.deliveries.available(),
    );
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
