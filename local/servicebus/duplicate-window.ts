/**
 * Duplicate detection: a message id seen within the queue's duplicateDetectionHistoryTimeWindow is a
 * duplicate. Ids are kept in a map with their expiry plus a time-ordered deque, so forgetting old ids
 * costs O(1) per id however many are remembered.
 */
import { Deque } from './structures.js';

export class DuplicateWindow {
  private readonly seenUntil = new Map<string, number>();
  private readonly order = new Deque<{ id: string; at: number }>();

  constructor(private readonly windowMs: number) {}

  /** False when `id` was seen within the window; otherwise remembers it from `now`. */
  admit(id: string, now: number): boolean {
    for (let head = this.order.peekFront(); head && head.at <= now; head = this.order.peekFront()) {
      this.order.shift();
      if (this.seenUntil.get(head.id) === head.at) this.seenUntil.delete(head.id);
    }
    const until = this.seenUntil.get(id);
    if (until !== undefined && until > now) return false;
    const at = now + this.windowMs;
    this.seenUntil.set(id, at);
    this.order.push({ id, at });
    return true;
  }

  /** The remembered ids with the time each is forgotten, oldest first (snapshots). */
  entries(now: number): Array<{ id: string; until: number }> {
    const out: Array<{ id: string; until: number }> = [];
    for (const [id, until] of this.seenUntil) if (until > now) out.push({ id, until });
    return out.sort((a, b) => a.until - b.until);
  }

  /** Remembers an id until `until` (restoring a snapshot; call in `until` order). */
  remember(id: string, until: number): void {
    this.seenUntil.set(id, until);
    this.order.push({ id, at: until });
  }
}
