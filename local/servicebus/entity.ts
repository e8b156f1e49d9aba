/**
 * One queue (or its dead-letter sub-queue): how a message moves through its states as it is sent,
 * scheduled, delivered, settled, expired or dead-lettered. Pure state: no sockets here; consumers are
 * links behind an interface. The bookkeeping lives beside it: message-store.ts (messages and counts),
 * lock-table.ts, session-table.ts, duplicate-window.ts.
 *
 * Per-message work is O(1) or O(log n) in queue length: ready messages in a deque, locks in a map
 * with a min-heap of expiries, scheduled messages and TTLs in min-heaps, the duplicate window as a
 * map plus a time-ordered deque. Heaps use lazy deletion and are compacted when mostly stale.
 */
import { randomUUID } from 'node:crypto';
import type { QueueSettings } from './definitions.js';
import { DuplicateWindow } from './duplicate-window.js';
import type { Consumer, EntityStats, Lock, SessionRecord, SettleOutcome } from './entity-types.js';
import { LockTable } from './lock-table.js';
import { MessageStore } from './message-store.js';
import { SessionTable } from './session-table.js';
import type { StoredMessage } from './stored-message.js';
import { Deque, MinHeap } from './structures.js';

export type { Consumer, EntityStats, Lock, SessionRecord, SettleOutcome } from './entity-types.js';

export const DEAD_LETTER_SUFFIX = '/$DeadLetterQueue';

interface TimedMessage {
  at: number;
  message: StoredMessage;
}

// crypto.randomUUID draws from a cached entropy pool: much cheaper per message than randomBytes(16).
const newToken = (): string => randomUUID();

export class Entity {
  readonly deadLetter: Entity | undefined;
  private readonly store: MessageStore;
  private readonly ready = new Deque<StoredMessage>();
  private readonly locks = new LockTable();
  private readonly sessions: SessionTable;
  private readonly scheduledHeap = new MinHeap<TimedMessage>();
  private readonly expiryHeap = new MinHeap<TimedMessage>();
  private readonly duplicates: DuplicateWindow;
  private readonly consumers: Consumer[] = [];
  private rr = 0;
  private pumping = false;

  constructor(
    readonly settings: QueueSettings,
    readonly path: string,
    private readonly clock: () => number,
    isDeadLetter = false,
  ) {
    this.sessions = new SessionTable(clock, settings.lockDurationMs);
    this.store = new MessageStore(settings.requiresSession ? this.sessions : undefined);
    this.duplicates = new DuplicateWindow(settings.duplicateWindowMs);
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
    const dl = this.deadLetter?.store.counts;
    return {
      ...this.store.counts,
      deadLettered: dl ? dl.active + dl.locked + dl.deferred + dl.scheduled : 0,
    };
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Validates a message before it is accepted; returns an error text or undefined. */
  refusal(m: StoredMessage): string | undefined {
    if (this.requiresSession && m.sessionId === undefined) {
      return `The SessionId was not set on a message, and it cannot be sent to the entity '${this.path}'. Entities that have session support enabled can only receive messages that have the SessionId set.`;
    }
    return undefined;
  }

  /** Enqueues a sent message (scheduled when it carries a future scheduled enqueue time); returns its sequence number. */
  enqueue(m: StoredMessage, scheduledAt: number | undefined): number {
    const now = this.clock();
    // A duplicate still gets a sequence number to report, but is not stored (Service Bus drops it silently).
    const seq = this.store.number(m);
    const duplicateKey = this.settings.requiresDuplicateDetection ? m.messageId : undefined;
    if (duplicateKey !== undefined && !this.duplicates.admit(duplicateKey, now)) return seq;
    m.enqueuedAt = now;
    this.store.add(m);
    if (scheduledAt !== undefined && scheduledAt > now) {
      m.scheduledAt = scheduledAt;
      this.store.setState(m, 'scheduled');
      this.scheduledHeap.push({ at: scheduledAt, message: m });
    } else {
      this.activate(m, now);
    }
    return seq;
  }

  /** A dead-lettered copy arriving in this (dead-letter) sub-queue keeps its sequence number. */
  private acceptDeadLettered(m: StoredMessage): void {
    this.store.add(m);
    this.store.setState(m, 'active');
    this.ready.push(m);
    this.pump();
  }

  private activate(m: StoredMessage, now: number): void {
    const ttl = Math.min(this.settings.defaultTtlMs, m.header.ttl ?? Number.POSITIVE_INFINITY);
    m.enqueuedAt = now;
    m.expiresAt = now + ttl;
    this.store.setState(m, 'active');
    if (Number.isFinite(m.expiresAt)) this.pushExpiry(m);
    this.toReady(m, false);
  }

  private pushExpiry(m: StoredMessage): void {
    this.expiryHeap.push({ at: m.expiresAt, message: m });
    if (this.expiryHeap.size > 1024 && this.expiryHeap.size > 4 * (this.store.counts.active + 1)) {
      this.expiryHeap.retain((e) => e.message.state === 'active' && e.message.expiresAt === e.at);
    }
  }

  private toReady(m: StoredMessage, front: boolean): void {
    if (this.requiresSession && m.sessionId !== undefined) {
      const s = this.sessions.get(m.sessionId);
      if (front) s.ready.unshift(m);
      else s.ready.push(m);
      if (s.holder) this.pump();
      else this.sessions.offer();
    } else {
      if (front) this.ready.unshift(m);
      else this.ready.push(m);
      this.pump();
    }
  }

  cancelScheduled(seq: number): void {
    const m = this.store.get(seq);
    if (m && m.state === 'scheduled') this.store.setState(m, 'gone');
  }

  // ---- delivery -----------------------------------------------------------------------------

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    for (const s of this.sessions.all()) if (s.holder === c) this.releaseSession(s);
  }

  /** Hands ready messages to consumers with credit, round robin. */
  pump(): void {
    if (this.pumping || this.consumers.length === 0) return;
    this.pumping = true;
    try {
      if (this.requiresSession) {
        for (const c of this.consumers) {
          const s = this.sessions.boundTo(c);
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
      this.store.setState(m, 'gone');
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
    this.locks.add(lock);
    this.store.setState(m, 'locked');
    return lock;
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
    return this.settleLocked(token, (m) => this.store.setState(m, 'gone'));
  }

  abandon(token: string, propertiesToModify?: Record<string, unknown>): SettleOutcome {
    return this.settleLocked(token, (m, lock) => {
      m.modifyProperties(propertiesToModify);
      this.returnMessage(lock);
    });
  }

  defer(token: string, propertiesToModify?: Record<string, unknown>): SettleOutcome {
    return this.settleLocked(token, (m) => {
      m.modifyProperties(propertiesToModify);
      this.store.setState(m, 'deferred');
    });
  }

  deadLetterByLock(
    token: string,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify?: Record<string, unknown>,
  ): SettleOutcome {
    return this.settleLocked(token, (m) => this.moveToDeadLetter(m, reason, description, propertiesToModify));
  }

  /** Every settlement: only under a live lock (else lock-lost, as the service answers), which it ends. */
  private settleLocked(token: string, settle: (m: StoredMessage, lock: Lock) => void): SettleOutcome {
    const lock = this.liveLock(token);
    if (!lock) return 'lock-lost';
    this.locks.release(lock);
    settle(lock.message, lock);
    return 'ok';
  }

  renewLock(token: string): number | undefined {
    const lock = this.liveLock(token);
    if (!lock) return undefined;
    if (lock.session) return lock.session.lockedUntil;
    lock.lockedUntil = this.clock() + this.settings.lockDurationMs;
    this.locks.scheduleExpiry(lock);
    return lock.lockedUntil;
  }

  /**
   * Abandon, lock expiry or a lost session lock: delivery count + 1, then the dead-letter queue once
   * maxDeliveryCount is reached; true when the message stays in this queue (the caller puts it back).
   */
  private redeliverOrDeadLetter(m: StoredMessage): boolean {
    m.deliveryCount++;
    if (m.deliveryCount < this.settings.maxDeliveryCount) return true;
    this.moveToDeadLetter(
      m,
      'MaxDeliveryCountExceeded',
      `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
    );
    return false;
  }

  /** Abandon or lock expiry: back to its place (the front of the queue) or to the dead-letter queue. */
  private returnMessage(lock: Lock): void {
    const m = lock.message;
    if (!this.redeliverOrDeadLetter(m)) return;
    if (lock.returnTo === 'deferred') {
      this.store.setState(m, 'deferred');
      return;
    }
    this.store.setState(m, 'active');
    if (m.expiresAt <= this.clock()) {
      this.expire(m);
      return;
    }
    this.pushExpiry(m);
    this.toReady(m, true);
  }

  private expireLock(lock: Lock): void {
    this.locks.release(lock);
    this.returnMessage(lock);
  }

  private moveToDeadLetter(
    m: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    extra?: Record<string, unknown>,
  ): void {
    this.store.setState(m, 'gone');
    if (!this.deadLetter) return; // dead-lettering from the dead-letter queue drops nothing: keep as is
    this.deadLetter.acceptDeadLettered(m.toDeadLetter(reason, description, extra));
  }

  private expire(m: StoredMessage): void {
    if (this.settings.deadLetteringOnMessageExpiration) {
      this.moveToDeadLetter(m, 'TTLExpiredException', 'The message expired and was dead lettered.');
    } else {
      this.store.setState(m, 'gone');
    }
  }

  // ---- deferred and peek ----------------------------------------------------------------------

  /** receive-by-sequence-number: locks (or removes) deferred messages. */
  receiveDeferred(
    seqs: number[],
    receiveAndDelete: boolean,
    sessionId: string | undefined,
  ): Array<{ message: StoredMessage; lock: Lock | undefined }> | undefined {
    return this.store.deferred(seqs, sessionId)?.map((m) => {
      if (receiveAndDelete) {
        this.store.setState(m, 'gone');
        return { message: m, lock: undefined };
      }
      return { message: m, lock: this.lock(m, 'deferred', undefined) };
    });
  }

  /** Messages in sequence-number order from `fromSeq`, any state, without locking. */
  peek(fromSeq: number, count: number, sessionId?: string): StoredMessage[] {
    return this.store.peek(fromSeq, count, sessionId, this.deadLetter === undefined);
  }

  // ---- sessions -------------------------------------------------------------------------------

  /** Locks a session for a consumer: a named one, or any with available messages. */
  acceptSession(c: Consumer, id: string | undefined): SessionRecord | 'locked' | undefined {
    return this.sessions.accept(c, id);
  }

  /** Registers a wait for the next free session; returns a cancel function. */
  waitForSession(c: Consumer, onSession: (s: SessionRecord) => void): () => void {
    return this.sessions.waitFor(c, onSession);
  }

  releaseSession(s: SessionRecord): void {
    if (!s.holder) return;
    this.sessions.unbind(s);
    // Messages held under the session lock go back in sequence order, delivery count + 1.
    const held = [...s.locks].sort((a, b) => b.message.seq - a.message.seq);
    for (const lock of held) {
      this.locks.release(lock);
      const m = lock.message;
      if (!this.redeliverOrDeadLetter(m)) continue;
      if (lock.returnTo === 'deferred') {
        this.store.setState(m, 'deferred');
      } else {
        this.store.setState(m, 'active');
        s.ready.unshift(m);
      }
    }
    this.sessions.offer();
    this.sessions.dropIfIdle(s);
  }

  renewSessionLock(id: string): number | undefined {
    return this.sessions.renewLock(id);
  }

  getSessionState(id: string): unknown {
    return this.sessions.getState(id);
  }

  setSessionState(id: string, state: unknown): boolean {
    return this.sessions.setState(id, state);
  }

  // ---- snapshots (queue-snapshot.ts) ----------------------------------------------------------

  /** Every message the queue holds, in sequence order. */
  heldMessages(): StoredMessage[] {
    return this.store.peek(0, Number.POSITIVE_INFINITY, undefined, true);
  }

  remembered(): Array<{ id: string; until: number }> {
    return this.duplicates.entries(this.clock());
  }

  remember(id: string, until: number): void {
    this.duplicates.remember(id, until);
  }

  /** Puts back a message from a snapshot with its sequence number, times and delivery count. */
  restoreMessage(m: StoredMessage, state: 'active' | 'deferred' | 'scheduled'): void {
    this.store.restore(m);
    if (state === 'scheduled' && m.scheduledAt !== undefined) {
      this.store.setState(m, 'scheduled');
      this.scheduledHeap.push({ at: m.scheduledAt, message: m });
    } else if (state === 'deferred') {
      this.store.setState(m, 'deferred');
    } else {
      this.store.setState(m, 'active');
      if (Number.isFinite(m.expiresAt)) this.pushExpiry(m);
      this.toReady(m, false);
    }
  }

  // ---- time -----------------------------------------------------------------------------------

  /** Runs everything that is due: lock and session-lock expiry, scheduled activation, TTL expiry. */
  tick(): void {
    const now = this.clock();
    for (const lock of this.locks.expired(now)) this.expireLock(lock);
    for (const s of this.sessions.expired(now)) {
      const holder = s.holder;
      this.releaseSession(s);
      holder?.sessionLost?.();
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
