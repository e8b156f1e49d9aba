/**
 * The job document (one per job in the `jobs` container, partition key /tenantId), its parts and its state
 * machine. The zod schemas are the one definition of these shapes: the stage messages carry them, the API
 * view and the OpenAPI document expose them, and the TypeScript types are inferred from them.
 *
 * To keep the happy path at two Cosmos writes, only the terminal transition is written after creation:
 * a job is `queued` from acceptance until `persist` (or `cancel`) writes its terminal state.
 */
import { z } from 'zod';
import { ToolCallSchema } from './chat-messages.js';
import { AcceptedJobRequestSchema } from './job-request.js';
import { JobPrioritySchema } from './submission.js';

export const JOB_STATUSES = ['queued', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;
export const TerminalStatusSchema = JobStatusSchema.exclude(['queued']);
export type TerminalStatus = z.infer<typeof TerminalStatusSchema>;

export function isTerminal(status: JobStatus): status is TerminalStatus {
  return status !== 'queued';
}

/** Transitions allowed by the state machine: queued -> any terminal state, and nothing after. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return from === 'queued' && isTerminal(to);
}

export const JobUsageSchema = z.object({
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  cachedTokens: z.number().int().min(0),
  /** Of `completionTokens`, those a reasoning model spent thinking: billed as output, never shown. */
  reasoningTokens: z.number().int().min(0).optional(),
  totalTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
  /** No price is configured for the model: `costUsd` is 0 because it is unknown, not because it was free. */
  costUnknown: z.literal(true).optional(),
  /** The capacity that answered, priced as such: a real-time call, or a line of a Global Batch file. */
  capacity: z.enum(['realtime', 'batch']).optional(),
  /**
   * Model calls of this job that may have been charged but whose answer no delivery saw (an instance
   * stopped between the call and keeping its answer, or the call timed out as the model answered): their
   * tokens are unknown and not in these totals.
   */
  unseenCalls: z.number().int().min(1).optional(),
});
export type JobUsage = z.infer<typeof JobUsageSchema>;

export const JobResultSchema = z.object({
  content: z.string().nullable(),
  /** Present when the job asked for JSON output: the parsed and schema-checked value. */
  parsed: z.unknown().optional(),
  refusal: z.string().nullable(),
  /**
   * The functions the model asked to call (`finishReason` `tool_calls`), in OpenAI's shape: a follow-up
   * job sends them back as the assistant message's `tool_calls`, with one `tool` message per call.
   */
  toolCalls: z.array(ToolCallSchema).optional(),
  /** An embeddings job's vectors, one per input in order (`content` is then null). */
  embeddings: z.array(z.array(z.number())).optional(),
  finishReason: z.string(),
  model: z.string(),
  deployment: z.string(),
});
export type JobResult = z.infer<typeof JobResultSchema>;

export const JobErrorSchema = z.object({
  /** Machine-readable reason: `validation_failed`, `content_filter`, `attempts_exhausted`, ... */
  code: z.string(),
  /** What a person can act on. */
  message: z.string(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

/** Stage timestamps (ms since epoch) carried along the messages and written once at the end. */
export const JobTimingsSchema = z.object({
  acceptedAt: z.number(),
  invokeStartedAt: z.number().optional(),
  modelCompletedAt: z.number().optional(),
  postprocessedAt: z.number().optional(),
  persistedAt: z.number().optional(),
});
export type JobTimings = z.infer<typeof JobTimingsSchema>;

/**
 * A request kept outside the job document (a Cosmos DB item stops at 2 MB): the store put its body
 * elsewhere under `stored.id`. The model stays here: listings, usage roll-ups and the API's view of
 * the job read only it.
 */
export const StoredRequestSchema = z.strictObject({
  model: z.string(),
  stored: z.strictObject({ id: z.string(), bytes: z.number().int().min(0) }),
});
export type StoredRequest = z.infer<typeof StoredRequestSchema>;

export function isStoredRequest(request: JobDocument['request']): request is StoredRequest {
  return 'stored' in request;
}

export const JobDocumentSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  status: JobStatusSchema,
  idempotencyKey: z.string(),
  /** SHA-256 of the canonical submission: a repeat with a different body is a 409. */
  requestHash: z.string(),
  // The request as accepted: it passed the submit checks once, and a stored job stays readable when a
  // later limit would refuse its schema (see AcceptedResponseFormatSchema). A large one is kept by
  // reference (StoredRequestSchema); JobStore.requestOf reads it back.
  request: z.union([AcceptedJobRequestSchema, StoredRequestSchema]),
  metadata: z.record(z.string(), z.string()),
  webhookEndpointId: z.string().optional(),
  source: z.enum(['http', 'queue']),
  traceId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
  attempts: z.number().optional(),
  result: JobResultSchema.optional(),
  usage: JobUsageSchema.optional(),
  error: JobErrorSchema.optional(),
  /**
   * Response ids of completions paid for on top of the one the job went on with (two deliveries of one
   * invoke message that both called the model): their tokens are in `usage`, and listed here so that
   * adding them is done once however often the adding message is delivered.
   */
  extraChargeIds: z.array(z.string()).optional(),
  timings: JobTimingsSchema.optional(),
  /**
   * Unix ms after which the job is no longer retried (its hold, if any, plus JOB_DEADLINE_SECONDS). Past
   * it, plus a grace, a job still `queued` has stalled: reconciliation ends it (shared/recovery/).
   */
  deadlineAt: z.number().optional(),
  /**
   * Unix ms after which the job is not worth running (its `expires_after`): still `queued` then, it ends
   * `expired` and the model is not called for it.
   */
  expiresAt: z.number().optional(),
  /** The tenant's retention at acceptance; becomes `ttl` with the terminal state. */
  retentionSeconds: z.number().optional(),
  /** Cosmos TTL in seconds, set with the terminal state (retention). */
  ttl: z.number().optional(),
  /** The job's priority as accepted (its own, or the tenant's default); absent on older jobs: standard. */
  priority: JobPrioritySchema.optional(),
  /** The batch line this job runs (shared/batches): the batch is assembled from its jobs by this id. */
  batch: z.object({ id: z.string(), customId: z.string() }).optional(),
});
export type JobDocument = z.infer<typeof JobDocumentSchema>;

/** A stored job plus the ETag that guards its next transition. */
export interface StoredJob {
  readonly job: JobDocument;
  readonly etag: string;
}

/** Seconds a finished job is kept: the tenant's retention when it was accepted, else the platform default. */
export function retentionOf(job: JobDocument, fallbackSeconds: number): number {
  return job.retentionSeconds ?? fallbackSeconds;
}
