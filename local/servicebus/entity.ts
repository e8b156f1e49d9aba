/**
 * One queue (or its dead-letter sub-queue): message states, locks, schedule, expiry, duplicate
 * detection and sessions. Pure state: no sockets here; consumers are links behind an interface.
 *
 * Per-message work is O(1) or O(log n) in queue length: ready messages in a deque, locks in a map
 * with a min-heap of expiries, scheduled messages and TTLs in min-heaps, the duplicate window as a
 * map plus a time-ordered deque. Heaps use lazy deletion and are compacted when mostly stale.
 */
import { randomUUID } from 'node:crypto';
import type { QueueSettings } from './definitions.js';
import { Deque, MinHeap } from './structures.js';
import type { MessageState, StoredMessage } from './stored-message.js';

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

export const DEAD_LETTER_SUFFIX = '/$DeadLetterQueue';

interface TimedMessage {
  at: number;
  message: StoredMessage;
}
interface TimedLock {
  at: number;
  lock: Lock;
}
interface TimedSession {
  at: number;
  session: SessionRecord;
}

// crypto.randomUUID draws from a cached entropy pool: much cheaper per message than randomBytes(16).
const newToken = (): string => randomUUID();

export class Entity {
  readonly deadLetter: Entity | undefined;
  private nextSeq = 1;
  private readonly all = new Map<number, StoredMessage>();
  private readonly ready = new Deque<StoredMessage>();
  private readonly locks = new Map<string, Lock>();
  private readonly lockHeap = new MinHeap<TimedLock>();
  private readonly scheduledHeap = new MinHeap<TimedMessage>();
  private readonly expiryHeap = new MinHeap<TimedMessage>();
  private readonly sessionHeap = new MinHeap<TimedSession>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly sessionWaiters: Array<(s: SessionRecord) => void> = [];
  private readonly duplicates = new Map<string, number>();
  private readonly duplicateOrder = new Deque<{ id: string; at: number }>();
  private readonly consumers: Consumer[] = [];
  private rr = 0;
  private pumping = false;
  private readonly counts = { active: 0, scheduled: 0, deferred: 0, locked: 0 };

  constructor(
    readonly settings: QueueSettings,
    readonly path: string,
    private readonly clock: () => number,
    isDeadLetter = false,
  ) {
    this.deadLetter = isDeadLetter
      ? undefined
      : new Entity(
          {
            ...settings,
            // The dead-letter sub-queue keeps messages until someone reads them.
            maxDeliveryCount: Number.POSITIVE_INFINITY,
            requiresDuplicateDetection: false,
            requiresSession: false,
            defaultTtlMs: Number.POSITIVE_INFINITY,
            deadLetteringOnMessageExpiration: false,
          },
          path + DEAD_LETTER_SUFFIX,
          clock,
          true,
        );
  }

  get requiresSession(): boolean {
    return this.settings.requiresSession;
  }

  stats(): EntityStats {
    const dl = this.deadLetter?.counts;
    return {
      ...this.counts,
      deadLettered: dl ? dl.active + dl.locked + dl.deferred + dl.scheduled : 0,
    };
  }

  // ---- state bookkeeping -------------------------------------------------------------------

  private setState(m: StoredMessage, next: MessageState): void {
    const prev = m.state;
    if (prev === next) return;
    if (prev !== 'gone') this.counts[prev]--;
    if (next !== 'gone') this.counts[next]++;
    m.state = next;
    if (m.sessionId !== undefined && this.requiresSession) {
      const s = this.session(m.sessionId);
      if (prev === 'active') s.available--;
      if (next === 'active') s.available++;
      if (prev === 'gone') s.total++;
      if (next === 'gone') {
        s.total--;
        this.dropIfIdle(s);
      }
    }
    if (next === 'gone') this.all.delete(m.seq);
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Validates a message before it is accepted; returns an error text or undefined. */
  refusal(m: StoredMessage): string | undefined {
    if (this.requiresSession && m.sessionId === undefined) {
      return `The SessionId was not set on a message, and it cannot be sent to the entity '${this.path}'. Entities that have session support enabled can only receive messages that have the SessionId set.`;
    }
    return undefined;
  }

  /** False when the message id was seen within the duplicate detection window. */
  private admitDuplicate(m: StoredMessage, now: number): boolean {
    if (!this.settings.requiresDuplicateDetection || m.messageId === undefined) return true;
    for (
      let head = this.duplicateOrder.peekFront();
      head && head.at <= now;
      head = this.duplicateOrder.peekFront()
    ) {
      this.duplicateOrder.shift();
      if (this.duplicates.get(head.id) === head.at) this.duplicates.delete(head.id);
    }
    const seenUntil = this.duplicates.get(m.messageId);
    if (seenUntil !== undefined && seenUntil > now) return false;
    const at = now + this.settings.duplicateWindowMs;
    this.duplicates.set(m.messageId, at);
    this.duplicateOrder.push({ id: m.messageId, at });
    return true;
  }

  /** Enqueues a sent message (scheduled when it carries a future scheduled enqueue time); returns its sequence number. */
  enqueue(m: StoredMessage, scheduledAt: number | undefined): number {
    const now = this.clock();
    // A duplicate still gets a sequence number to report, but is not stored (Service Bus drops it silently).
    m.seq = this.nextSeq++;
    if (!this.admitDuplicate(m, now)) return m.seq;
    m.enqueuedAt = now;
    this.all.set(m.seq, m);
    m.state = 'gone'; // so setState counts the first transition
    if (scheduledAt !== undefined && scheduledAt > now) {
      m.scheduledAt = scheduledAt;
      this.setState(m, 'scheduled');
      this.scheduledHeap.push({ at: scheduledAt, message: m });
      this.all.set(m.seq, m);
    } else {
      this.activate(m, now);
    }
    return m.seq;
  }

  /** A dead-lettered copy arriving in this (dead-letter) sub-queue keeps its sequence number. */
  private acceptDeadLettered(m: StoredMessage): void {
    m.state = 'gone';
    this.all.set(m.seq, m);
    this.setState(m, 'active');
    this.all.set(m.seq, m);
    this.ready.push(m);
    this.pump();
  }

  private activate(m: StoredMessage, now: number): void {
    const ttl = Math.min(this.settings.defaultTtlMs, m.header.ttl ?? Number.POSITIVE_INFINITY);
    m.enqueuedAt = now;
    m.expiresAt = now + ttl;
    this.setState(m, 'active');
    this.all.set(m.seq, m);
    if (Number.isFinite(m.expiresAt)) this.pushExpiry(m);
    this.toReady(m, false);
  }

  private pushExpiry(m: StoredMessage): void {
    this.expiryHeap.push({ at: m.expiresAt, message: m });
    if (this.expiryHeap.size > 1024 && this.expiryHeap.size > 4 * (this.counts.active + 1)) {
      this.expiryHeap.retain((e) => e.message.state === 'active' && e.message.expiresAt === e.at);
    }
  }

  private toReady(m: StoredMessage, front: boolean): void {
    if (this.requiresSession && m.sessionId !== undefined) {
      const s = this.session(m.sessionId);
      if (front) s.ready.unshift(m);
      else s.ready.push(m);
      if (s.holder) this.pump();
      else this.offerSessions();
    } else {
      if (front) this.ready.unshift(m);
      else this.ready.push(m);
      this.pump();
    }
  }

  // ---- scheduling -----------------------------------------------------------------------------

  cancelScheduled(seq: number): void {
    const m = this.all.get(seq);
    if (m && m.state === 'scheduled') this.setState(m, 'gone');
  }

  // ---- delivery -----------------------------------------------------------------------------

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    for (const s of this.sessions.values()) if (s.holder === c) this.releaseSession(s);
  }

  /** Hands ready messages to consumers with credit, round robin. */
  pump(): void {
    if (this.pumping || this.consumers.length === 0) return;
    this.pumping = true;
    try {
      if (this.requiresSession) {
        for (const c of this.consumers) {
          const s = this.sessionOf(c);
          if (!s) continue;
          while (c.available() > 0) {
            const m = this.popReady(s.ready);
            if (!m) break;
            this.deliverTo(c, m, s);
          }
        }
        return;
      }
      while (this.ready.length > 0) {
        const c = this.nextConsumerWithCredit();
        if (!c) break;
        const m = this.popReady(this.ready);
        if (!m) break;
        this.deliverTo(c, m, undefined);
      }
    } finally {
      this.pumping = false;
    }
  }

  private sessionOf(c: Consumer): SessionRecord | undefined {
    const s = (c as { boundSession?: SessionRecord }).boundSession;
    return s && s.holder === c ? s : undefined;
  }

  private nextConsumerWithCredit(): Consumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.rr + i) % n];
      if (c && c.available() > 0) {
        this.rr = (this.rr + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private popReady(ready: Deque<StoredMessage>): StoredMessage | undefined {
    const now = this.clock();
    for (let m = ready.shift(); m; m = ready.shift()) {
      if (m.state !== 'active') continue; // stale entry (expired or moved)
      if (m.expiresAt <= now) {
        this.expire(m);
        continue;
      }
      return m;
    }
    return undefined;
  }

  private deliverTo(c: Consumer, m: StoredMessage, s: SessionRecord | undefined): void {
    if (c.receiveAndDelete) {
      this.setState(m, 'gone');
      c.deliver(m, undefined);
      return;
    }
    const lock = this.lock(m, 'ready', s);
    c.deliver(m, lock);
  }

  private lock(m: StoredMessage, returnTo: Lock['returnTo'], s: SessionRecord | undefined): Lock {
    const now = this.clock();
    const lock: Lock = {
      token: newToken(),
      message: m,
      lockedUntil: s ? s.lockedUntil : now + this.settings.lockDurationMs,
      live: true,
      returnTo,
      session: s,
    };
    m.lock = lock;
    this.locks.set(lock.token, lock);
    if (s) s.locks.add(lock);
    else this.pushLockExpiry(lock);
    this.setState(m, 'locked');
    return lock;
  }

  private pushLockExpiry(lock: Lock): void {
    this.lockHeap.push({ at: lock.lockedUntil, lock });
    if (this.lockHeap.size > 1024 && this.lockHeap.size > 4 * (this.locks.size + 1)) {
      this.lockHeap.retain((e) => e.lock.live && e.lock.lockedUntil === e.at);
    }
  }

  private unlock(lock: Lock): void {
    lock.live = false;
    this.locks.delete(lock.token);
    lock.session?.locks.delete(lock);
    if (lock.message.lock === lock) lock.message.lock = undefined;
  }

  // ---- settlement ---------------------------------------------------------------------------

  private liveLock(token: string, sessionId?: string): Lock | undefined {
    const lock = this.locks.get(token);
    if (!lock || !lock.live) return undefined;
    if (lock.lockedUntil <= this.clock() && !lock.session) {
      this.expireLock(lock);
      return undefined;
    }
    if (
      lock.session &&
      (lock.session.holder === undefined || (sessionId !== undefined && lock.session.id !== sessionId))
    ) {
      return undefined;
    }
    return lock;
  }

  hasLock(token: string): boolean {
    return this.liveLock(token) !== undefined;
  }

  complete(token: string): SettleOutcome {
    const lock = this.liveLock(token);
    if (!lock) return 'lock-lost';
    this.unlock(lock);
    this.setState(lock.message, 'gone');
    return 'ok';
  }

  abandon(token: string, propertiesToModify?: Record<string, unknown>): SettleOutcome {
    const lock = this.liveLock(token);
    if (!lock) return 'lock-lost';
    this.unlock(lock);
    lock.message.modifyProperties(propertiesToModify);
    this.returnMessage(lock);
    return 'ok';
  }

  defer(token: string, propertiesToModify?: Record<string, unknown>): SettleOutcome {
    const lock = this.liveLock(token);
    if (!lock) return 'lock-lost';
    this.unlock(lock);
    lock.message.modifyProperties(propertiesToModify);
    this.setState(lock.message, 'deferred');
    return 'ok';
  }

  deadLetterByLock(
    token: string,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify?: Record<string, unknown>,
  ): SettleOutcome {
    const lock = this.liveLock(token);
    if (!lock) return 'lock-lost';
    this.unlock(lock);
    this.moveToDeadLetter(lock.message, reason, description, propertiesToModify);
    return 'ok';
  }

  renewLock(token: string): number | undefined {
    const lock = this.liveLock(token);
    if (!lock) return undefined;
    if (lock.session) return lock.session.lockedUntil;
    lock.lockedUntil = this.clock() + this.settings.lockDurationMs;
    this.pushLockExpiry(lock);
    return lock.lockedUntil;
  }

  /** Abandon or lock expiry: delivery count + 1, then back to its place or to the dead-letter queue. */
  private returnMessage(lock: Lock): void {
    const m = lock.message;
    m.deliveryCount++;
    if (m.deliveryCount >= this.settings.maxDeliveryCount) {
      this.moveToDeadLetter(
        m,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
      );
      return;
    }
    if (lock.returnTo === 'deferred') {
      this.setState(m, 'deferred');
      return;
    }
    this.setState(m, 'active');
    if (m.expiresAt <= this.clock()) {
      this.expire(m);
      return;
    }
    this.pushExpiry(m);
    this.toReady(m, true);
  }

  private expireLock(lock: Lock): void {
    this.unlock(lock);
    this.returnMessage(lock);
  }

  private moveToDeadLetter(
    m: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    extra?: Record<string, unknown>,
  ): void {
    this.setState(m, 'gone');
    if (!this.deadLetter) return; // dead-lettering from the dead-letter queue drops nothing: keep as is
    this.deadLetter.acceptDeadLettered(m.toDeadLetter(reason, description, extra));
  }

  private expire(m: StoredMessage): void {
    if (this.settings.deadLetteringOnMessageExpiration) {
      this.moveToDeadLetter(m, 'TTLExpiredException', 'The message expired and was dead lettered.');
    } else {
      this.setState(m, 'gone');
    }
  }

  // ---- deferred and peek ----------------------------------------------------------------------

  /** receive-by-sequence-number: locks (or removes) deferred messages. */
  receiveDeferred(
    seqs: number[],
    receiveAndDelete: boolean,
    sessionId: string | undefined,
  ): Array<{ message: StoredMessage; lock: Lock | undefined }> | undefined {
    const found: StoredMessage[] = [];
    for (const seq of seqs) {
      const m = this.all.get(seq);
      if (!m || m.state !== 'deferred' || (sessionId !== undefined && m.sessionId !== sessionId))
        return undefined;
      found.push(m);
    }
    return found.map((m) => {
      if (receiveAndDelete) {
        this.setState(m, 'gone');
        return { message: m, lock: undefined };
      }
      return { message: m, lock: this.lock(m, 'deferred', undefined) };
    });
  }

  /** Messages in sequence-number order from `fromSeq`, any state, without locking. */
  peek(fromSeq: number, count: number, sessionId?: string): StoredMessage[] {
    const out: StoredMessage[] = [];
    const matches = (m: StoredMessage): boolean => sessionId === undefined || m.sessionId === sessionId;
    if (this.deadLetter === undefined || this.nextSeq - fromSeq > this.all.size) {
      // Walk the live messages (the dead-letter queue receives them out of sequence order, so sort).
      const candidates = [...this.all.values()].filter((m) => m.seq >= fromSeq && matches(m));
      candidates.sort((a, b) => a.seq - b.seq);
      return candidates.slice(0, count);
    }
    for (let seq = Math.max(1, fromSeq); seq < this.nextSeq && out.length < count; seq++) {
      const m = this.all.get(seq);
      if (m && matches(m)) out.push(m);
    }
    return out;
  }

  // ---- sessions -------------------------------------------------------------------------------

  private session(id: string): SessionRecord {
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

  private dropIfIdle(s: SessionRecord): void {
    if (!s.holder && s.total === 0 && s.state === undefined) this.sessions.delete(s.id);
  }

  /** Locks a session for a consumer: a named one, or any with available messages. */
  acceptSession(c: Consumer, id: string | undefined): SessionRecord | 'locked' | undefined {
    let s: SessionRecord | undefined;
    if (id !== undefined) {
      s = this.session(id);
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

  private bind(c: Consumer, s: SessionRecord): void {
    s.holder = c;
    s.lockedUntil = this.clock() + this.settings.lockDurationMs;
    (c as { boundSession?: SessionRecord }).boundSession = s;
    this.sessionHeap.push({ at: s.lockedUntil, session: s });
  }

  /** Registers a wait for the next free session; returns a cancel function. */
  waitForSession(c: Consumer, onSession: (s: SessionRecord) => void): () => void {
    const waiter = (s: SessionRecord): void => {
      this.bind(c, s);
      onSession(s);
    };
    this.sessionWaiters.push(waiter);
    return () => {
      const i = this.sessionWaiters.indexOf(waiter);
      if (i >= 0) this.sessionWaiters.splice(i, 1);
    };
  }

  private offerSessions(): void {
    if (this.sessionWaiters.length === 0) return;
    for (const s of this.sessions.values()) {
      if (this.sessionWaiters.length === 0) return;
      if (!s.holder && s.available > 0) this.sessionWaiters.shift()?.(s);
    }
  }

  releaseSession(s: SessionRecord): void {
    if (!s.holder) return;
    const holder = s.holder as { boundSession?: SessionRecord };
    if (holder.boundSession === s) holder.boundSession = undefined;
    s.holder = undefined;
    s.lockedUntil = 0;
    // Messages held under the session lock go back in sequence order, delivery count + 1.
    const held = [...s.locks].sort((a, b) => b.message.seq - a.message.seq);
    for (const lock of held) {
      this.unlock(lock);
      const m = lock.message;
      m.deliveryCount++;
      if (m.deliveryCount >= this.settings.maxDeliveryCount) {
        this.moveToDeadLetter(
          m,
          'MaxDeliveryCountExceeded',
          `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
        );
      } else if (lock.returnTo === 'deferred') {
        this.setState(m, 'deferred');
      } else {
        this.setState(m, 'active');
        s.ready.unshift(m);
      }
    }
    this.offerSessions();
    this.dropIfIdle(s);
  }

  private heldSession(id: string): SessionRecord | undefined {
    const s = this.sessions.get(id);
    return s && s.holder && s.lockedUntil > this.clock() ? s : undefined;
  }

  renewSessionLock(id: string): number | undefined {
    const s = this.heldSession(id);
    if (!s) return undefined;
    s.lockedUntil = this.clock() + this.settings.lockDurationMs;
    for (const lock of s.locks) lock.lockedUntil = s.lockedUntil;
    this.sessionHeap.push({ at: s.lockedUntil, session: s });
    return s.lockedUntil;
  }

  getSessionState(id: string): unknown {
    const s = this.heldSession(id);
    if (!s) return undefined;
    return s.state ?? null;
  }

  setSessionState(id: string, state: unknown): boolean {
    const s = this.heldSession(id);
    if (!s) return false;
    s.state = state;
    return true;
  }

  // ---- time -----------------------------------------------------------------------------------

  /** Runs everything that is due: lock and session-lock expiry, scheduled activation, TTL expiry. */
  tick(): void {
    const now = this.clock();
    for (let e = this.lockHeap.peek(); e && e.at <= now; e = this.lockHeap.peek()) {
      this.lockHeap.pop();
      if (e.lock.live && e.lock.lockedUntil === e.at) this.expireLock(e.lock);
    }
    for (let e = this.sessionHeap.peek(); e && e.at <= now; e = this.sessionHeap.peek()) {
      this.sessionHeap.pop();
      const s = e.session;
      if (s.holder && s.lockedUntil === e.at) {
        const holder = s.holder;
        this.releaseSession(s);
        holder.sessionLost?.();
      }
    }
    for (let e = this.scheduledHeap.peek(); e && e.at <= now; e = this.scheduledHeap.peek()) {
      this.scheduledHeap.pop();
      if (e.message.state === 'scheduled') this.activate(e.message, now);
    }
    for (let e = this.expiryHeap.peek(); e && e.at <= now; e = this.expiryHeap.peek()) {
      this.expiryHeap.pop();
      const m = e.message;
      if (m.state === 'active' && m.expiresAt === e.at) this.expire(m);
    }
    if (this.deadLetter) this.deadLetter.tick();
  }
}
