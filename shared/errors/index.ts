/**
 * The platform's small error vocabulary. Each trigger kind maps these in one place: HTTP to RFC 9457
 * problem+json (functions/http/problem.ts), queue messages to a job outcome or a settlement.
 */

export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'permanent_failure'
  | 'retry_later'
  | 'configuration_error'
  | 'poison_message';

export interface FieldIssue {
  /** JSON pointer-ish path of the offending field, e.g. `messages/0/role`. */
  readonly field: string;
  readonly message: string;
}

export abstract class PlatformError extends Error {
  abstract readonly code: ErrorCode;
  /** Safe to show to a caller: never secrets, stack traces or internal identifiers. */
  readonly detail: string;
  constructor(detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.detail = detail;
    this.name = new.target.name;
  }
}

/** Input that does not satisfy a schema. Never retried. */
export class ValidationError extends PlatformError {
  readonly code = 'validation_failed';
  constructor(
    detail: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(detail);
  }
}

export class UnauthorizedError extends PlatformError {
  readonly code = 'unauthorized';
}

export class ForbiddenError extends PlatformError {
  readonly code = 'forbidden';
  constructor(
    detail: string,
    /** The fields whose values the caller may not use (e.g. a job's `priority`), when a field is why. */
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(detail);
  }
}

/** Also used for another tenant's resources, so their existence is not revealed. */
export class NotFoundError extends PlatformError {
  readonly code = 'not_found';
}

export class ConflictError extends PlatformError {
  readonly code = 'conflict';
}

export class PayloadTooLargeError extends PlatformError {
  readonly code = 'payload_too_large';
  constructor(
    detail: string,
    readonly limitBytes: number,
  ) {
    super(detail);
  }
}

/** The caller exceeded a limit; tell it when to come back. */
export class RateLimitedError extends PlatformError {
  readonly code = 'rate_limited';
  constructor(
    detail: string,
    readonly retryAfterMs: number,
  ) {
    super(detail);
  }
}

/** Work that can never succeed (content filter, context too long, bad request): the job fails with this reason. */
export class PermanentError extends PlatformError {
  readonly code = 'permanent_failure';
  constructor(
    detail: string,
    /** Machine-readable reason recorded on the failed job, e.g. `content_filter`. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** Work that may succeed later: reschedule the message (attempt + 1) after `retryAfterMs`, never sleep. */
export class RetryAfterError extends PlatformError {
  readonly code = 'retry_later';
  constructor(
    detail: string,
    readonly retryAfterMs: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** Our own misconfiguration (401/403 from a dependency): loud in logs, retried later, not the job's fault. */
export class ConfigurationError extends PlatformError {
  readonly code = 'configuration_error';
  constructor(
    detail: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** A queue message that cannot be tied to a job: it is dead-lettered with this reason. */
export class PoisonMessageError extends PlatformError {
  readonly code = 'poison_message';
  constructor(
    detail: string,
    /** Goes into the message's `DeadLetterReason`. */
    readonly deadLetterReason: string,
  ) {
    super(detail);
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}
