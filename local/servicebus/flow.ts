/**
 * Credit and drain. A client's flow frame lets the queue push more messages. A drain request must be
 * answered with a flow carrying drain=true and no credit left (the SDK's batch receive drains its
 * credit when it stops waiting and waits for that answer); rhea as a server does not do this, so we use up the unused credit
 * ourselves and make the link report drain=true exactly once.
 */
import { unsentDeliveries, type Link } from './amqp-link.js';
import type { Entity } from './entity.js';

/** Replaces rhea's drain flag getter on one of our senders (see drainFlag). */
export function answerDrainsOn(link: Link): void {
  (link as unknown as { _get_drain(): boolean })._get_drain = drainFlag;
}

/** After a client's flow on a receiving link: deliver what the new credit allows, then answer a drain. */
export function onCreditFlow(link: Link, entity: Entity): void {
  entity.pump();
  if (!link._draining) return;
  // Drain: whatever credit is left is used up, and the answer carries drain=true, credit 0.
  const unused = Math.max(0, link.credit - unsentDeliveries(link));
  link.delivery_count += unused;
  link.credit -= unused;
  link._draining = false;
  (link as unknown as { _sb_drain: boolean })._sb_drain = true;
  link.issue_flow = true;
  (link.connection as unknown as { _register(): void })._register();
}

/** Our senders report drain=true exactly once after answering a drain request. */
function drainFlag(this: { _sb_drain?: boolean }): boolean {
  if (this._sb_drain) {
    this._sb_drain = false;
    return true;
  }
  return false;
}
