/**
 * The outbound port every stage uses to hand work on. Delays are scheduled messages, never sleeps.
 */
export type QueueName = 'intake' | 'invoke' | 'postprocess' | 'persist' | 'deliver';

export interface OutboundMessage {
  readonly queue: QueueName;
  /** `<job>:<stage>:<attempt>`; queues have duplicate detection on, so a re-send is dropped. */
  readonly messageId: string;
  readonly body: unknown;
  /** W3C `traceparent` plus ids that let an operator find the job from a message without opening it. */
  readonly applicationProperties: Readonly<Record<string, string | number | boolean>>;
  readonly correlationId?: string;
}

export interface MessagePublisher {
  send(message: OutboundMessage): Promise<void>;
  /** Enqueue the message at `at`; it stays invisible until then. */
  schedule(message: OutboundMessage, at: Date): Promise<void>;
  close(): Promise<void>;
}
