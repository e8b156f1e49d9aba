/**
 * Every message a queue holds, by sequence number, with its state and the per-state counts `stats()`
 * reports. A state change is the one place counts move, so they never drift; in a session-enabled
 * queue it also keeps each session's message counts, which decide whether a session can be accepted
 * and when an idle one is forgotten. A message that goes (completed, expired, moved) leaves the map.
 */
import type { EntityStats } from './entity-types.js';
import type { SessionTable } from './session-table.js';
import type { MessageState, StoredMessage } from './stored-message.js';

export class MessageStore {
  private nextSeq = 1;
  private readonly bySeq = new Map<number, StoredMessage>();
  readonly counts: Omit<EntityStats, 'deadLettered'> = { active: 0, scheduled: 0, deferred: 0, locked: 0 };

  /** `sessions` only for a session-enabled queue: its sessions' counts follow the messages' states. */
  constructor(private readonly sessions: SessionTable | undefined) {}

  /** Gives a sent message the queue's next sequence number (a dropped duplicate gets one too). */
  number(m: StoredMessage): number {
    m.seq = this.nextSeq++;
    return m.seq;
  }

  /** Stores a numbered message; it is counted once setState gives it its first state. */
  add(m: StoredMessage): void {
    this.bySeq.set(m.seq, m);
    m.state = 'gone'; // so setState counts the first transition
  }

  /** Stores a message restored from a snapshot under its own sequence number. */
  restore(m: StoredMessage): void {
    this.nextSeq = Math.max(this.nextSeq, m.seq + 1);
    this.bySeq.set(m.seq, m);
    m.state = 'gone';
  }

  get(seq: number): StoredMessage | undefined {
    return this.bySeq.get(seq);
  }

  setState(m: StoredMessage, next: MessageState): void {
    const prev = m.state;
    if (prev === next) return;
    if (prev !== 'gone') this.counts[prev]--;
    if (next !== 'gone') this.counts[next]++;
    m.state = next;
    if (m.sessionId !== undefined && this.sessions) {
      const s = this.sessions.get(m.sessionId);
      if (prev === 'active') s.available--;
      if (next === 'active') s.available++;
      if (prev === 'gone') s.total++;
      if (next === 'gone') {
        s.total--;
        this.sessions.dropIfIdle(s);
      }
    }
    if (next === 'gone') this.bySeq.delete(m.seq);
  }

  /** The deferred messages with these numbers (of this session, when given), or undefined if any is not. */
  deferred(seqs: readonly number[], sessionId: string | undefined): StoredMessage[] | undefined {
    const found: StoredMessage[] = [];
    for (const seq of seqs) {
      const m = this.bySeq.get(seq);
      if (!m || m.state !== 'deferred' || (sessionId !== undefined && m.sessionId !== sessionId))
        return undefined;
      found.push(m);
    }
    return found;
  }

  /**
   * Messages in sequence-number order from `fromSeq`, any state. `outOfOrder` is for the dead-letter
   * queue, whose messages keep their original numbers and so arrive out of sequence order.
   */
  peek(fromSeq: number, count: number, sessionId: string | undefined, outOfOrder: boolean): StoredMessage[] {
    const out: StoredMessage[] = [];
    const matches = (m: StoredMessage): boolean => sessionId === undefined || m.sessionId === sessionId;
    if (outOfOrder || this.nextSeq - fromSeq > this.bySeq.size) {
      // Walk the live messages and sort, when that is cheaper than walking the sequence numbers.
      const candidates = [...this.bySeq.values()].filter((m) => m.seq >= fromSeq && matches(m));
      candidates.sort((a, b) => a.seq - b.seq);
      return candidates.slice(0, count);
    }
    for (let seq = Math.max(1, fromSeq); seq < this.nextSeq && out.length < count; seq++) {
      const m = this.bySeq.get(seq);
      if (m && matches(m)) out.push(m);
    }
    return out;
  }
}
