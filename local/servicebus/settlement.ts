/**
 * Settlement of messages the broker delivered under a lock: the client's disposition on the delivery
 * becomes complete (accepted), abandon (released), defer or abandon with modified properties
 * (modified, with undeliverable-here meaning defer) or dead-letter (rejected, its error info carrying
 * DeadLetterReason and DeadLetterErrorDescription). The broker echoes the outcome and settles; a lock
 * that expired or was already used answers `com.microsoft:message-lock-lost`, as the service does.
 */
import type { Delivery, EventContext } from 'rhea';
import type { Entity, Lock } from './entity.js';
import { messageUtil } from './rhea.js';

/** Deliveries sent under a lock and not yet settled, with the queue that holds the lock. */
export type HeldDeliveries = WeakMap<Delivery, { lock: Lock; entity: Entity }>;

export type SettleKind = 'complete' | 'deadletter' | 'modified' | 'abandon';

const lockLost = (): { condition: string; description: string } => ({
  condition: 'com.microsoft:message-lock-lost',
  description:
    'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
});

export function settle(ctx: EventContext, kind: SettleKind, deliveries: HeldDeliveries): void {
  const delivery = ctx.delivery as Delivery & {
    remote_state?: Record<string, unknown>;
    remote_settled: boolean;
  };
  const held = deliveries.get(delivery);
  if (!held) return;
  deliveries.delete(delivery);
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
      result = state.undeliverable_here ? entity.defer(lock.token, props) : entity.abandon(lock.token, props);
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
  const outcome = result === 'ok' ? echo : messageUtil.rejected({ error: lockLost() });
  delivery.update(true, outcome.described());
  // Once we settle, the delivery is done; without this rhea would keep it in the session window forever.
  (delivery as { remote_settled: boolean }).remote_settled = true;
}
