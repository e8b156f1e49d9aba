/**
 * The namespace's entities: each queue and its dead-letter sub-queue, addressable by path (a client can
 * receive from `<queue>/$DeadLetterQueue` and manage either), plus the address the broker is bound to,
 * which Service Bus quotes in its not-found errors.
 */
import type { AmqpError } from './amqp-link.js';
import type { QueueSettings } from './definitions.js';
import { Entity } from './entity.js';

export class Namespace {
  private readonly entities = new Map<string, Entity>();
  /** Set once the broker listens; 0 before. */
  port = 0;

  constructor(
    queues: readonly QueueSettings[],
    private readonly host: string,
  ) {
    for (const q of queues) {
      const entity = new Entity(q, q.name, Date.now);
      this.entities.set(q.name, entity);
      if (entity.deadLetter) this.entities.set(entity.deadLetter.path, entity.deadLetter);
    }
  }

  /** A queue or a dead-letter sub-queue. */
  entity(path: string): Entity | undefined {
    return this.entities.get(path);
  }

  /** A queue only: the dead-letter sub-queue cannot be sent to. */
  queue(name: string): Entity | undefined {
    const e = this.entities.get(name);
    return e && e.deadLetter ? e : undefined;
  }

  queueNames(): string[] {
    return [...this.entities.values()].filter((e) => e.deadLetter).map((e) => e.path);
  }

  /** Runs due timers on every queue (each queue ticks its own dead-letter sub-queue). */
  tick(): void {
    for (const e of this.entities.values()) if (e.deadLetter) e.tick();
  }

  notFound(path: string): AmqpError {
    return {
      condition: 'amqp:not-found',
      description: `The messaging entity 'sb://${this.host}:${this.port}/${path}' could not be found.`,
    };
  }
}
