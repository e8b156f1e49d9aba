/**
 * The shapes a queue shares with the links and the management operations: a consumer (a receiver
 * link, behind an interface so the queue stays free of sockets), a message lock, a session, and the
 * counts `stats()` reports.
 */
import type { Deque } from './structures.js';
import type { StoredMessage } from './stored-message.js';

export interface Consumer {
  readonly receiveAndDelete: boolean;
  /** Credit the consumer can still take right now. */
  available(): number;
  deliver(message: StoredMessage, lock: Lock | undefined): void;
  /** Session consumers: the session lock expired; the link must go. */
  sessionLost?(): void;
}

export interface Lock {
  /** RFC 4122 string form, as the SDK shows `lockToken`. */
  readonly token: string;
  readonly message: StoredMessage;
  lockedUntil: number;
  live: boolean;
  /** Where the message goes if the lock is abandoned or expires. */
  readonly returnTo: 'ready' | 'deferred';
  readonly session: SessionRecord | undefined;
}

export interface SessionRecord {
  readonly id: string;
  readonly ready: Deque<StoredMessage>;
  holder: Consumer | undefined;
  lockedUntil: number;
  state: unknown;
  readonly locks: Set<Lock>;
  /** Messages of this session not yet settled (any state). */
  total: number;
  available: number;
}

export type SettleOutcome = 'ok' | 'lock-lost';

export interface EntityStats {
  active: number;
  scheduled: number;
  deferred: number;
  locked: number;
  deadLettered: number;
}
