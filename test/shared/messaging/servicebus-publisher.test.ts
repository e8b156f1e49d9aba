import { describe, expect, it } from 'vitest';
import { isTransientSendError } from '../../../shared/messaging/servicebus-publisher.js';

/** A MessagingError's shape as core-amqp makes it, with the fields it may or may not carry. */
function messagingError(message: string, fields: { code?: string; retryable?: boolean } = {}) {
  return Object.assign(new Error(message), { name: 'MessagingError', ...fields });
}

describe('isTransientSendError', () => {
  it('retries what a dropped or slow connection throws, however the SDK wrapped it', () => {
    expect(isTransientSendError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(true);
    expect(isTransientSendError(messagingError('x', { code: 'ECONNRESET', retryable: false }))).toBe(true);
    expect(isTransientSendError(messagingError('ECONNRESET: read ECONNRESET', { retryable: false }))).toBe(
      true,
    );
    expect(
      isTransientSendError(
        messagingError('socket closed', { code: 'ServiceCommunicationError', retryable: false }),
      ),
    ).toBe(true);
    expect(isTransientSendError(messagingError('busy', { code: 'ServerBusyError', retryable: true }))).toBe(
      true,
    );
  });

  it('does not retry what another try cannot cure', () => {
    expect(
      isTransientSendError(messagingError('too large', { code: 'MessageTooLargeError', retryable: false })),
    ).toBe(false);
    expect(
      isTransientSendError(
        messagingError('not found', { code: 'MessagingEntityNotFoundError', retryable: false }),
      ),
    ).toBe(false);
    expect(isTransientSendError(new TypeError('body is not serializable'))).toBe(false);
  });
});
