/**
 * The sessions of a session-enabled queue: each session's ready messages, its holder and lock, its
 * state, and the receivers waiting for a free session (acceptNextSession). A session exists while it
 * has messages, a holder or state, as on Service Bus; an idle one is forgotten and recreated by its
 * next message. Session lock expiries sit in a min-heap with lazy deletion, like message locks.
 */
import type { Consumer, SessionRecord } from './entity-types.js';
import { Deque, MinHeap } from './structures.js';

interface TimedSession {
  at: number;
  session: SessionRecord;
}

/** The session a consumer holds is kept on the consumer, so a delivery finds it without a lookup. */
type SessionHolder = { boundSession?: SessionRecord };

export class SessionTable {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly waiters: Array<(s: SessionRecord) => void> = [];
  private readonly lockExpiries = new MinHeap<TimedSession>();

  constructor(
    private readonly clock: () => number,
    private readonly lockDurationMs: number,
  ) {}

  /** The session's record, created on first use. */
  get(id: string): SessionRecord {
    let s = this.sessions.get(id);
    if (!s) {
      s = {
        id,
        ready: new Deque(),
        holder: undefined,
        lockedUntil: 0,
        state: undefined,
        locks: new Set(),
        total: 0,
        available: 0,
      };
      this.sessions.set(id, s);
    }
    return s;
  }

  all(): IterableIterator<SessionRecord> {
    return this.sessions.values();
  }

  dropIfIdle(s: SessionRecord): void {
    if (!s.holder && s.total === 0 && s.state === undefined) this.sessions.delete(s.id);
  }

  /** Locks a session for a consumer: a named one, or any with available messages. */
  accept(c: Consumer, id: string | undefined): SessionRecord | 'locked' | undefined {
    let s: SessionRecord | undefined;
    if (id !== undefined) {
      s = this.get(id);
      if (s.holder) return 'locked';
    } else {
      for (const candidate of this.sessions.values()) {
        if (!candidate.holder && candidate.available > 0) {
          s = candidate;
          break;
        }
      }
      if (!s) return undefined;
    }
    this.bind(c, s);
    return s;
  }

  /** Registers a wait for the next free session; returns a cancel function. */
  waitFor(c: Consumer, onSession: (s: SessionRecord) => void): () => void {
    const waiter = (s: SessionRecord): void => {
      this.bind(c, s);
      onSession(s);
    };
    this.waiters.push(waiter);
    return () => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
    };
  }

  /** Hands free sessions with messages to waiting receivers, oldest wait first. */
  offer(): void {
    if (this.waiters.length === 0) return;
    for (const s of this.sessions.values()) {
      if (this.waiters.length === 0) return;
      if (!s.holder && s.available > 0) this.waiters.shift()?.(s);
    }
  }

  /** The session the consumer holds, if its hold is still current. */
  boundTo(c: Consumer): SessionRecord | undefined {
    const s = (c as SessionHolder).boundSession;
    return s && s.holder === c ? s : undefined;
  }

  /** Clears the session's holder and lock; the caller gives back the messages held under it. */
  unbind(s: SessionRecord): void {
    const holder = s.holder as SessionHolder;
    if (holder.boundSession === s) holder.boundSession = undefined;
    s.holder = undefined;
    s.lockedUntil = 0;
  }

  renewLock(id: string): number | undefined {
    const s = this.held(id);
    if (!s) return undefined;
    s.lockedUntil = this.clock() + this.lockDurationMs;
    for (const lock of s.locks) lock.lockedUntil = s.lockedUntil;
    this.lockExpiries.push({ at: s.lockedUntil, session: s });
    return s.lockedUntil;
  }

  getState(id: string): unknown {
    const s = this.held(id);
    if (!s) return undefined;
    return s.state ?? null;
  }

  setState(id: string, state: unknown): boolean {
    const s = this.held(id);
    if (!s) return false;
    s.state = state;
    return true;
  }

  /** Sessions whose lock is due at `now` and still current (held and not renewed since). */
  *expired(now: number): Generator<SessionRecord> {
    for (let e = this.lockExpiries.peek(); e && e.at <= now; e = this.lockExpiries.peek()) {
      this.lockExpiries.pop();
      const s = e.session;
      if (s.holder && s.lockedUntil === e.at) yield s;
    }
  }

  /** A session whose lock is held now: session state and lock renewal need one. */
  private held(id: string): SessionRecord | undefined {
    const s = this.sessions.get(id);
    return s && s.holder && s.lockedUntil > this.clock() ? s : undefined;
  }

  private bind(c: Consumer, s: SessionRecord): void {
    s.holder = c;
    s.lockedUntil = this.clock() + this.lockDurationMs;
    (c as SessionHolder).boundSession = s;
    this.lockExpiries.push({ at: s.lockedUntil, session: s });
  }
}
