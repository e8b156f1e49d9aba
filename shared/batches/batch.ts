/**
 * Batches, the OpenAI way (https://platform.openai.com/docs/api-reference/batch): the stored batch
 * document (one per batch in the `batches` container, partition key /tenantId), its statuses, and the
 * Batch object the API returns. The zod schemas are the one definition of these shapes.
 *
 * The lines themselves are jobs in the `jobs` container (each carries `batch: { id, customId }`); the
 * batch document holds no per-line state, so no line's progress ever writes it (no hot document).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MetadataSchema } from '../jobs/schema.js';

export const BATCH_STATUSES = [
  'validating',
  'failed',
  'in_progress',
  'finalizing',
  'completed',
  'expired',
  'cancelling',
  'cancelled',
] as const;
export const BatchStatusSchema = z.enum(BATCH_STATUSES);
export type BatchStatus = z.infer<typeof BatchStatusSchema>;

/** A batch in one of these is done: nothing moves it again. */
export const FINISHED_BATCH_STATUSES = ['failed', 'completed', 'expired', 'cancelled'] as const;
export function isFinished(status: BatchStatus): boolean {
  return (FINISHED_BATCH_STATUSES as readonly string[]).includes(status);
}

/** The one endpoint batches serve today (OpenAI also has /v1/responses, /v1/embeddings, ...). */
export const BATCH_ENDPOINTS = ['/v1/chat/completions'] as const;

export const BATCH_ID_PATTERN = 'batch_[0-9a-f]{32}';
export const BatchIdSchema = z
  .string()
  .regex(new RegExp(`^${BATCH_ID_PATTERN}$`), 'a batch id: batch_ followed by 32 hex digits');

/** Deterministic: the same tenant and idempotency key always name the same batch. */
export function batchIdFor(tenantId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${tenantId}\0batch\0${idempotencyKey}`).digest('hex');
  return `batch_${digest.slice(0, 32)}`;
}

/** OpenAI's validation error entries (`errors.data[]`). */
export const BatchErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  param: z.string().nullable(),
  line: z.number().int().nullable(),
});
export type BatchError = z.infer<typeof BatchErrorSchema>;

export const RequestCountsSchema = z.object({
  total: z.number().int().min(0),
  completed: z.number().int().min(0),
  failed: z.number().int().min(0),
});
export type RequestCounts = z.infer<typeof RequestCountsSchema>;

/** Unix seconds, as OpenAI's timestamps. */
const seconds = z.number().int();

export const BatchDocumentSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  kind: z.literal('batch'),
  status: BatchStatusSchema,
  idempotencyKey: z.string(),
  /** SHA-256 of the create request: a repeat with another body under the same key is a 409. */
  requestHash: z.string(),
  inputFileId: z.string(),
  endpoint: z.enum(BATCH_ENDPOINTS),
  completionWindow: z.string(),
  metadata: MetadataSchema.nullable(),
  traceId: z.string(),
  createdAt: seconds,
  /** Unix ms when the window closes: lines not finished then end `batch_expired`. */
  expiresAtMs: z.number(),
  inProgressAt: seconds.optional(),
  finalizingAt: seconds.optional(),
  completedAt: seconds.optional(),
  failedAt: seconds.optional(),
  expiredAt: seconds.optional(),
  cancellingAt: seconds.optional(),
  cancelledAt: seconds.optional(),
  requestCounts: RequestCountsSchema,
  /** Lines that passed validation and became jobs (the rest go to the error file). */
  validLines: z.number().int().min(0).optional(),
  /** Line number (1-based) up to which every valid line is a job with its message sent: the checkpoint. */
  acceptedThrough: z.number().int().min(0).optional(),
  /** Unix ms of the first fan-out run: re-sends within the duplicate-detection window are free. */
  fanoutStartedAt: z.number().optional(),
  outputFileId: z.string().nullable(),
  errorFileId: z.string().nullable(),
  errors: z.array(BatchErrorSchema).nullable(),
  /** Cosmos TTL in seconds, set when the batch finishes (the job retention). */
  ttl: z.number().optional(),
});
export type BatchDocument = z.infer<typeof BatchDocumentSchema>;

export interface StoredBatch {
  readonly batch: BatchDocument;
  readonly etag: string;
}

/** OpenAI's Batch object. */
export const BatchObjectSchema = z
  .object({
    id: z.string(),
    object: z.literal('batch'),
    endpoint: z.string(),
    errors: z.object({ object: z.literal('list'), data: z.array(BatchErrorSchema) }).nullable(),
    input_file_id: z.string(),
    completion_window: z.string(),
    status: BatchStatusSchema,
    output_file_id: z.string().nullable(),
    error_file_id: z.string().nullable(),
    created_at: seconds,
    in_progress_at: seconds.nullable(),
    expires_at: seconds.nullable(),
    finalizing_at: seconds.nullable(),
    completed_at: seconds.nullable(),
    failed_at: seconds.nullable(),
    expired_at: seconds.nullable(),
    cancelling_at: seconds.nullable(),
    cancelled_at: seconds.nullable(),
    request_counts: RequestCountsSchema,
    metadata: z.record(z.string(), z.string()).nullable(),
  })
  .meta({ id: 'Batch' });
export type BatchObject = z.infer<typeof BatchObjectSchema>;

export function toBatchObject(batch: BatchDocument): BatchObject {
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    errors: batch.errors ? { object: 'list', data: batch.errors } : null,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: batch.createdAt,
    in_progress_at: batch.inProgressAt ?? null,
    expires_at: Math.floor(batch.expiresAtMs / 1000),
    finalizing_at: batch.finalizingAt ?? null,
    completed_at: batch.completedAt ?? null,
    failed_at: batch.failedAt ?? null,
    expired_at: batch.expiredAt ?? null,
    cancelling_at: batch.cancellingAt ?? null,
    cancelled_at: batch.cancelledAt ?? null,
    request_counts: batch.requestCounts,
    metadata: batch.metadata,
  };
}

/** What `batches.create` takes. */
export const CreateBatchSchema = z.strictObject({
  input_file_id: z.string().regex(/^file-[0-9a-f]{32}$/, 'a file id: file- followed by 32 hex digits'),
  endpoint: z.enum(BATCH_ENDPOINTS),
  /** OpenAI accepts `24h` only; shorter windows (`<n>s|m|h`) are allowed down to BATCH_MIN_WINDOW_SECONDS. */
  completion_window: z.string().regex(/^[1-9][0-9]{0,5}[smh]$/, 'a duration: 24h'),
  metadata: MetadataSchema.nullable().optional(),
});
export type CreateBatch = z.infer<typeof CreateBatchSchema>;

/** `24h` -> 86400; undefined for anything else than `<n>s`, `<n>m` or `<n>h`. */
export function windowSecondsOf(window: string): number | undefined {
  const match = /^([1-9][0-9]{0,5})([smh])$/.exec(window);
  if (!match) return undefined;
  const unit = { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** The output and error files of a batch have ids derived from it, so a repeated finalization overwrites them. */
export function outputFileIdOf(batchId: string, which: 'output' | 'error'): string {
  return `file-${createHash('sha256').update(`${batchId}\0${which}`).digest('hex').slice(0, 32)}`;
}
