/** In-memory DeadLetterQueues with the Service Bus adapter's semantics (redrive copies, defer keeps). */
import type {
  DeadLetter,
  DeadLetterAction,
  DeadLetterPage,
  DeadLetterQueues,
} from '../../shared/messaging/dead-letters.js';
import type { QueueName } from '../../shared/messaging/publisher.js';

interface Held {
  view: DeadLetter;
  body: unknown;
}

export class MemoryDeadLetters implements DeadLetterQueues {
  private readonly held = new Map<QueueName, Held[]>();
  readonly redriven: Array<{ queue: QueueName; messageId: string; body: unknown; redriveCount: number }> = [];
  private sequence = 0;

  add(queue: QueueName, deadLetter: Partial<DeadLetter> & { messageId: string }, body: unknown = {}): void {
    this.sequence += 1;
    const view: DeadLetter = {
      queue,
      sequenceNumber: String(this.sequence),
      deliveryCount: 1,
      state: 'active',
      redriveCount: 0,
      ...deadLetter,
    };
    this.held.set(queue, [...(this.held.get(queue) ?? []), { view, body }]);
  }

  on(queue: QueueName): DeadLetter[] {
    return (this.held.get(queue) ?? []).map((h) => h.view);
  }

  list(queue: QueueName, options: { fromSequenceNumber?: string; limit: number }): Promise<DeadLetterPage> {
    const from = Number(options.fromSequenceNumber ?? 0);
    const all = this.on(queue).filter((d) => Number(d.sequenceNumber) >= from);
    const page = all.slice(0, options.limit);
    const next = all[options.limit];
    return Promise.resolve({ deadLetters: page, ...(next ? { next: next.sequenceNumber } : {}) });
  }

  async settle(
    queue: QueueName,
    options: { limit: number; includeDeferred?: boolean; select?: (d: DeadLetter) => boolean },
    decide: (deadLetter: DeadLetter, body: unknown) => Promise<DeadLetterAction>,
  ): Promise<Record<DeadLetterAction, number>> {
    const counts: Record<DeadLetterAction, number> = { redrive: 0, remove: 0, keep: 0 };
    const candidates = (this.held.get(queue) ?? []).filter(
      (h) =>
        (h.view.state === 'active' || options.includeDeferred) && (!options.select || options.select(h.view)),
    );
    for (const item of candidates.slice(0, options.limit)) {
      const action = await decide(item.view, item.body);
      counts[action] += 1;
      if (action === 'keep') {
        item.view = { ...item.view, state: 'deferred' };
        continue;
      }
      if (action === 'redrive') {
        this.redriven.push({
          queue,
          messageId: `${item.view.messageId}:r${item.view.redriveCount + 1}`,
          body: item.body,
          redriveCount: item.view.redriveCount + 1,
        });
      }
      this.held.set(
        queue,
        (this.held.get(queue) ?? []).filter((h) => h !== item),
      );
    }
    return counts;
  }
}
