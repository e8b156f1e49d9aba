/**
 * The dead-letter sub-queues of the stage queues, as a port: what operators list, and what recovery
 * reads, redrives or removes. Service Bus keeps a dead letter until someone receives it; the adapter is
 * shared/messaging/servicebus-dead-letters.ts.
 */
import type { QueueName } from './publisher.js';

export interface DeadLetter {
  readonly queue: QueueName;
  /** Service Bus sequence number (a 64-bit integer, as a decimal string): the message's address. */
  readonly sequenceNumber: string;
  readonly messageId: string;
  readonly reason?: string;
  readonly description?: string;
  /** From the application properties every stage message carries. */
  readonly jobId?: string;
  readonly tenantId?: string;
  readonly enqueuedAt?: string;
  readonly deliveryCount: number;
  /** `deferred`: set aside by recovery (not tied to a job), kept for an operator. */
  readonly state: 'active' | 'deferred';
  /** How many times it was sent back to its queue already (our `redriveCount` property). */
  readonly redriveCount: number;
}

/** What to do with one dead letter that was taken off its sub-queue. */
export type DeadLetterAction = 'redrive' | 'remove' | 'keep';

export interface DeadLetterPage {
  readonly deadLetters: readonly DeadLetter[];
  /** Pass back as `fromSequenceNumber` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface DeadLetterQueues {
  /** Peek only: nothing is locked or changed. */
  list(queue: QueueName, options: { fromSequenceNumber?: string; limit: number }): Promise<DeadLetterPage>;
  /**
   * Takes up to `limit` dead letters that `select` accepts (active ones; deferred ones too when
   * `includeDeferred`), and settles each as `decide` says: `redrive` sends a copy to the queue with a
   * new message id and `redriveCount` + 1, then removes it; `remove` deletes it; `keep` defers it, so it
   * stays listed but is not handed out again. Returns what was done, per action.
   */
  settle(
    queue: QueueName,
    options: {
      readonly limit: number;
      readonly includeDeferred?: boolean;
      readonly select?: (deadLetter: DeadLetter) => boolean;
    },
    decide: (deadLetter: DeadLetter, body: unknown) => Promise<DeadLetterAction>,
  ): Promise<Record<DeadLetterAction, number>>;
}
