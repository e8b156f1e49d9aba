/**
 * What the capacity router keeps while work waits for, or runs on, a Global Batch deployment: a parked
 * line per job attempt (the invoke message it came in, so the answer goes on exactly as a real-time one
 * would) and a group per provider batch (its file and batch ids, what it holds, when its lines must fall
 * back to real-time). Stored in the `batches` container beside the Batches API's documents, partitioned
 * per deployment (`capacity:<deployment>`): the sweep reads one deployment's work with one query.
 */
import { z } from 'zod';
import { InvokeMessageSchema } from '../messaging/stage-messages.js';

export const ParkedLineSchema = z.object({
  /** `<job>:<attempt>`: the line's `custom_id` in the provider's file, and what makes parking idempotent. */
  id: z.string(),
  kind: z.literal('capacity-line'),
  /** The partition: `capacity:<deployment>` (the container's key path is `/tenantId`). */
  tenantId: z.string(),
  deployment: z.string(),
  state: z.enum(['pending', 'grouped']),
  groupId: z.string().optional(),
  parkedAt: z.number(),
  /** The job's deadline or window end, whichever is first. */
  dueAt: z.number(),
  promptTokens: z.number().int().min(0),
  traceparent: z.string().optional(),
  message: InvokeMessageSchema,
  /**
   * When its job was cancelled: the line is left out of a file not yet submitted and dropped when its
   * batch ends; a provider batch whose lines are all cancelled is cancelled.
   */
  cancelledAt: z.number().optional(),
});
export type ParkedLine = z.infer<typeof ParkedLineSchema>;

export const ProviderGroupSchema = z.object({
  id: z.string(),
  kind: z.literal('capacity-group'),
  tenantId: z.string(),
  deployment: z.string(),
  /** `forming`: lines assigned, not yet accepted by the provider; `submitted`: a provider batch runs. */
  status: z.enum(['forming', 'submitted', 'cancelling']),
  createdAt: z.number(),
  lineCount: z.number().int().min(0),
  promptTokens: z.number().int().min(0),
  /** When the provider batch is cancelled and its unfinished lines sent to real-time deployments. */
  fallbackAt: z.number(),
  providerFileId: z.string().optional(),
  providerBatchId: z.string().optional(),
  /** Times the provider refused it for its enqueued-token limit (the lines then wait for room). */
  refusals: z.number().int().min(0).default(0),
});
export type ProviderGroup = z.infer<typeof ProviderGroupSchema>;

export function partitionOf(deployment: string): string {
  return `capacity:${deployment}`;
}

export function parkedLineId(jobId: string, attempt: number): string {
  return `${jobId}:${attempt}`;
}
