/**
 * Deterministic ids: the same tenant and Idempotency-Key always name the same job, so a retried submission
 * (HTTP or queue) finds the job it already created instead of making a second one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../schemas/canonical-json.js';

/**
 * What jobIdFor mints. Checked at every edge before a store sees the id: Cosmos DB refuses `/`, `\`, `#`
 * and `?` in ids, and an answer of 500 to a caller's typo would be our fault, not theirs.
 */
export const JobIdSchema = z.string().regex(/^job_[0-9a-f]{32}$/, 'a job id: job_ followed by 32 hex digits');

export function jobIdFor(tenantId: string, idempotencyKey: string): string {
  // A NUL separator keeps ("ab","c") and ("a","bc") apart.
  const digest = createHash('sha256').update(`${tenantId}\0${idempotencyKey}`).digest('hex');
  return `job_${digest.slice(0, 32)}`;
}

/**
 * Webhook endpoint ids, minted by registration (shared/webhooks/endpoints.ts). Defined here, beside the job
 * ids, because a job names its endpoint (`webhook_endpoint_id`) and shared/jobs imports no other folder.
 */
export const ENDPOINT_ID_PATTERN = 'ep_[0-9a-f]{32}';
export const EndpointIdSchema = z
  .string()
  .regex(new RegExp(`^${ENDPOINT_ID_PATTERN}$`), 'a webhook endpoint id: ep_ followed by 32 hex digits');

export function newEndpointId(): string {
  return `ep_${randomUUID().replaceAll('-', '')}`;
}

export function newIdempotencyKey(): string {
  return randomUUID();
}

export function requestHashOf(submission: unknown): string {
  return createHash('sha256').update(canonicalJson(submission)).digest('hex');
}

/** `messageId = <job>:<stage>:<attempt>`: with duplicate detection a re-sent stage message is dropped. */
export function stageMessageId(jobId: string, stage: string, attempt: number): string {
  return `${jobId}:${stage}:${attempt}`;
}
