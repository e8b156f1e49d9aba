/**
 * In-memory MessagePublisher for unit tests of the stages: records what was sent and scheduled.
 */
import type { MessagePublisher, OutboundMessage } from '../../shared/messaging/publisher.js';

export interface RecordedMessage extends OutboundMessage {
  readonly scheduledAt?: Date;
}

export class MemoryPublisher implements MessagePublisher {
  readonly sent: RecordedMessage[] = [];
  failNextSend: Error | undefined;

  send(message: OutboundMessage): Promise<void> {
    return this.record(message);
  }

  schedule(message: OutboundMessage, at: Date): Promise<void> {
    return this.record({ ...message, scheduledAt: at });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  on(queue: OutboundMessage['queue']): RecordedMessage[] {
    return this.sent.filter((message) => message.queue === queue);
  }

  private record(message: RecordedMessage): Promise<void> {
    if (this.failNextSend) {
      const error = this.failNextSend;
      this.failNextSend = undefined;
      return Promise.reject(error);
    }
    // Round-trip through JSON as the broker would, so tests catch bodies that do not serialise.
    this.sent.push({ ...message, body: JSON.parse(JSON.stringify(message.body)) as unknown });
    return Promise.resolve();
  }
}
