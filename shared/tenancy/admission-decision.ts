/**
 * What the tenant gate decides for a submission: admit it, hold it until a time (budget spent with the
 * `hold` policy), or refuse it. A refusal is a value: each channel decides what a refusal means for
 * it (HTTP answers with the error's status; the intake queue holds, fails or dead-letters). The error
 * carries its own HTTP mapping (403, 400, 413, 429 with Retry-After).
 */
import {
  ForbiddenError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationError,
  type FieldIssue,
} from '../errors/index.js';

export type Admission =
  | { readonly kind: 'admit' }
  | { readonly kind: 'hold'; readonly untilMs: number; readonly usedTokens: number }
  | Refusal;

export type Refusal =
  /** No such tenant, or it is suspended. */
  | { readonly kind: 'refuse'; readonly reason: 'tenant_disabled'; readonly error: ForbiddenError }
  /** The job asks for a priority the tenant may not use (403 naming the field). */
  | { readonly kind: 'refuse'; readonly reason: 'priority_not_allowed'; readonly error: ForbiddenError }
  /** The request breaks a tenant rule a retry cannot fix: model, message count. */
  | { readonly kind: 'refuse'; readonly reason: 'not_allowed'; readonly error: ValidationError }
  | { readonly kind: 'refuse'; readonly reason: 'too_large'; readonly error: PayloadTooLargeError }
  /** Rate, jobs in flight or daily budget: the same request is admitted later. */
  | { readonly kind: 'refuse'; readonly reason: 'rate_limited'; readonly error: RateLimitedError };

export function tenantDisabled(detail: string): Refusal {
  return { kind: 'refuse', reason: 'tenant_disabled', error: new ForbiddenError(detail) };
}

export function notAllowed(detail: string, issues: readonly FieldIssue[]): Refusal {
  return { kind: 'refuse', reason: 'not_allowed', error: new ValidationError(detail, issues) };
}

export function priorityNotAllowed(detail: string, issues: readonly FieldIssue[]): Refusal {
  return { kind: 'refuse', reason: 'priority_not_allowed', error: new ForbiddenError(detail, issues) };
}

export function tooLarge(detail: string, limitBytes: number): Refusal {
  return { kind: 'refuse', reason: 'too_large', error: new PayloadTooLargeError(detail, limitBytes) };
}

export function rateLimited(detail: string, retryAfterMs: number): Refusal {
  return { kind: 'refuse', reason: 'rate_limited', error: new RateLimitedError(detail, retryAfterMs) };
}

export const ADMIT: Admission = { kind: 'admit' };
