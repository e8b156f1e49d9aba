/**
 * The parts of rhea's link and session internals the broker reads and writes. rhea is a client
 * library first and its typings describe only the client side; a server that holds attach replies,
 * answers drains and counts unsent deliveries against credit needs these fields, so they are typed
 * here once instead of cast at every use.
 */
import type { Connection, Delivery, Message, Receiver, Sender, Session } from 'rhea';

export interface Link {
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
  close(error?: AmqpError): void;
  is_open(): boolean;
  send(msg: Buffer | Message, tag?: Buffer, format?: number): Delivery;
}

interface Outgoing {
  next_delivery_id: number;
  next_pending_delivery: number;
  deliveries: { available(): number };
}

/** The client's attach frame, as far as the broker looks at it. */
export interface RemoteAttach {
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  source?: { address?: string; filter?: Record<string, unknown> } | null;
  target?: { address?: string } | null;
  properties?: Record<string, unknown>;
}

export interface AmqpError {
  readonly condition: string;
  readonly description: string;
}

export const asLink = (l: Sender | Receiver): Link => l as unknown as Link;

/** Deliveries queued in this tick: rhea has not charged them against the link's credit yet. */
export function unsentDeliveries(link: Link): number {
  const out = link.session.outgoing;
  return out.next_delivery_id - out.next_pending_delivery;
}
