/**
 * Thrown to ask the host for a dead-letter. With the standard binding the host cannot dead-letter on our
 * behalf, so the message is abandoned and dead-lettered by the broker after maxDeliveryCount
 * (MaxDeliveryCountExceeded); our reason is in the log line written before this. See README "Known gaps".
 */
export class DeadLetterRequested extends Error {
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(`dead-letter requested: ${reason}: ${description}`);
    this.name = 'DeadLetterRequested';
  }
}
