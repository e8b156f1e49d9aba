/**
 * Continuation tokens handed to callers are opaque and checked: the store's own token (for Cosmos DB a
 * JSON document the SDK parses) never reaches a caller raw, and a value the caller made up, edited, or took
 * from another listing never reaches the store. Format: `<base64url(store token)>.<base64url(check)>`,
 * where the check is a SHA-256 over the store token, the tenant and the query's filter.
 *
 * Checked, not signed: there is no server-side key in configuration for this, so a caller who knows the
 * format could build a token that passes. That buys nothing: the query still runs in the caller's own
 * partition, and a store token the store refuses is answered with the same 400 (shared/cosmos/job-store.ts).
 * What the check does stop is every accident and every casual probe before it costs a query.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors/index.js';

/** What a token is bound to: the listing it continues. */
export interface ContinuationScope {
  readonly tenantId: string;
  /** The filter, canonical: `status=<value>` or '' for none. Page size may change between pages. */
  readonly filter: string;
}

const FORMAT = /^[A-Za-z0-9_-]{1,8192}\.[A-Za-z0-9_-]{22}$/;
const CHECK_BYTES = 16;

function checkOf(storeToken: string, scope: ContinuationScope): Buffer {
  // NUL separators keep the parts apart; the label keeps this digest from meaning anything elsewhere.
  return createHash('sha256')
    .update(`prompt-pipeline/jobs-continuation/v1\0${scope.tenantId}\0${scope.filter}\0${storeToken}`)
    .digest()
    .subarray(0, CHECK_BYTES);
}

export function invalidContinuationToken(): ValidationError {
  const message = 'not a token this listing handed out (with this filter); list again without it';
  return new ValidationError(`The query is invalid: continuationToken: ${message}`, [
    { field: 'continuationToken', message },
  ]);
}

export function sealContinuationToken(storeToken: string, scope: ContinuationScope): string {
  const body = Buffer.from(storeToken, 'utf8').toString('base64url');
  return `${body}.${checkOf(storeToken, scope).toString('base64url')}`;
}

/** The store token inside `token`, or a 400 naming `continuationToken`. */
export function openContinuationToken(token: string, scope: ContinuationScope): string {
  if (!FORMAT.test(token)) throw invalidContinuationToken();
  const dot = token.indexOf('.');
  const storeToken = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8');
  const presented = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = checkOf(storeToken, scope);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw invalidContinuationToken();
  }
  return storeToken;
}
