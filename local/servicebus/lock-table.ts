/**
 * Message locks of one queue: a map by token for settlement and a min-heap of expiries for the tick.
 * A renewed or released lock leaves its old heap entry behind (lazy deletion), which is skipped when
 * due; the heap is compacted when it is mostly such entries. Locks under a session lock have no expiry
 * of their own: they live and die with the session's lock.
 */
import type { Lock } from './entity-types.js';
import { MinHeap } from './structures.js';

interface TimedLock {
  at: number;
  lock: Lock;
}

export class LockTable {
  private readonly byToken = new Map<string, Lock>();
  private readonly expiries = new MinHeap<TimedLock>();

  add(lock: Lock): void {
    this.byToken.set(lock.token, lock);
    if (lock.session) lock.session.locks.add(lock);
    else this.scheduleExpiry(lock);
  }

  get(token: string): Lock | undefined {
    return this.byToken.get(token);
  }

  /** Schedules the lock's expiry at its current lockedUntil (after a renewal, too). */
  scheduleExpiry(lock: Lock): void {
    this.expiries.push({ at: lock.lockedUntil, lock });
    if (this.expiries.size > 1024 && this.expiries.size > 4 * (this.byToken.size + 1)) {
      this.expiries.retain((e) => e.lock.live && e.lock.lockedUntil === e.at);
    }
  }

  /** Ends the lock: settled, expired or given back with its session. */
  release(lock: Lock): void {
    lock.live = false;
    this.byToken.delete(lock.token);
    lock.session?.locks.delete(lock);
    if (lock.message.lock === lock) lock.message.lock = undefined;
  }

  /** Locks whose expiry is due at `now` and still current (not renewed or released since). */
  *expired(now: number): Generator<Lock> {
    for (let e = this.expiries.peek(); e && e.at <= now; e = this.expiries.peek()) {
      this.expiries.pop();
      if (e.lock.live && e.lock.lockedUntil === e.at) yield e.lock;
    }
  }
}
