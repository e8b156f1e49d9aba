/**
 * What the broker remembers per client connection: the entity paths it holds a CBS token for, its
 * reply links for request/response, its receiving links, and attach replies still held back. When a
 * connection goes, its consumers detach but their locks stay, so the messages come back when the locks
 * expire, as on Azure.
 */
import type { Connection, Sender } from 'rhea';

/** A receiving link as the connection sees it: something to detach from its queue. */
export interface DetachableConsumer {
  detach(): void;
}

export interface ConnectionState {
  /** Entity paths ('' = namespace) this connection holds a valid token for. */
  readonly authorized: Set<string>;
  readonly replyLinks: Map<string, Sender>;
  readonly consumers: Set<DetachableConsumer>;
  /** Cancels for attach replies held back (acceptNextSession waiting for a free session). */
  readonly pendingAttaches: Set<() => void>;
}

/** A token for the namespace or for a parent path covers everything below it. */
export function isAuthorized(st: ConnectionState, path: string): boolean {
  for (const p of st.authorized) if (p === '' || p === path || path.startsWith(p + '/')) return true;
  return false;
}

export class Connections {
  private readonly states = new Map<Connection, ConnectionState>();

  /** The connection's state, created on first use. */
  of(connection: Connection): ConnectionState {
    let st = this.states.get(connection);
    if (!st) {
      st = { authorized: new Set(), replyLinks: new Map(), consumers: new Set(), pendingAttaches: new Set() };
      this.states.set(connection, st);
    }
    return st;
  }

  /** The connection's state if it is still known; a closed link of a gone connection finds none. */
  get(connection: Connection): ConnectionState | undefined {
    return this.states.get(connection);
  }

  entries(): IterableIterator<[Connection, ConnectionState]> {
    return this.states.entries();
  }

  /** Forgets a connection that closed or dropped: held attaches are cancelled, consumers detach. */
  gone(connection: Connection): void {
    const st = this.states.get(connection);
    if (!st) return;
    this.states.delete(connection);
    for (const cancel of st.pendingAttaches) cancel();
    // Locks stay: the messages come back when their locks expire, as on Azure.
    for (const c of st.consumers) c.detach();
  }
}
