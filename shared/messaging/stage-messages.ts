/**
 * The messages between stages. Each carries what the next stage needs (request, completion) so stages do
 * not re-read Cosmos. Validated on receipt: a body that does not match is poison, never half-processed.
 */
import { z } from 'zod';
import { JobEventSchema } from '../jobs/events.js';
import { JobErrorSchema, JobResultSchema, JobTimingsSchema, JobUsageSchema } from '../jobs/job.js';
import { AcceptedJobRequestSchema } from '../jobs/job-request.js';
import { AcceptedChatRequestSchema } from '../jobs/schema.js';
import { JobPrioritySchema } from '../jobs/submission.js';

/**
 * What the model layer's fair scheduler needs of a job (shared/model/fairness/): its priority and its
 * tenant's weight and token limit for the job's model alias, as they were when the job was accepted.
 */
export const InvokeSchedulingSchema = z.object({
  priority: JobPrioritySchema,
  weight: z.number().positive(),
  tokensPerMinute: z.number().int().positive().optional(),
});
export type InvokeScheduling = z.infer<typeof InvokeSchedulingSchema>;

const JobRefSchema = {
  jobId: z.string().min(1),
  tenantId: z.string().min(1),
  metadata: z.record(z.string(), z.string()).default({}),
  webhookEndpointId: z.string().optional(),
  traceId: z.string(),
  timings: JobTimingsSchema,
  /** Unix ms after which the job fails with `deadline_exceeded` instead of being retried. */
  deadlineAt: z.number(),
  /** Unix ms after which the job ends `expired` before any further model call. */
  expiresAt: z.number().optional(),
  /**
   * The job's recorded retention (JobDocument.retentionSeconds), absent when the job has none: persist
   * sets the TTL from it without reading the job first.
   */
  retentionSeconds: z.number().int().optional(),
};

export const InvokeMessageSchema = z.object({
  kind: z.literal('invoke'),
  ...JobRefSchema,
  /** Model calls made so far (waiting for quota spends none). */
  attempt: z.number().int().min(0),
  /**
   * Invoke messages sent for this job so far, waits included. It names the message: a paced reschedule
   * keeps `attempt`, and reusing its id would make duplicate detection drop the job.
   */
  hop: z.number().int().min(0).default(0),
  /**
   * Earlier calls of this job whose answer no delivery saw (an instance stopped mid-call): the model may
   * have charged them. Each counts as an attempt, and the job's usage flags them (JobUsage.unseenCalls).
   */
  unseenCalls: z.number().int().min(1).optional(),
  /**
   * Calls of this job given up on after they were sent (timeouts): counted in `attempt` as failures, but
   * the model may have answered and charged them, so the job's usage flags them too (unseenCalls).
   */
  timedOutCalls: z.number().int().min(1).optional(),
  request: AcceptedJobRequestSchema,
  /** Absent on messages from before priorities (and on jobs made elsewhere): standard, weight 1. */
  scheduling: InvokeSchedulingSchema.optional(),
});
export type InvokeMessage = z.infer<typeof InvokeMessageSchema>;

export const CompletionSchema = z.object({
  content: z.string().nullable(),
  refusal: z.string().nullable(),
  toolCalls: JobResultSchema.shape.toolCalls,
  embeddings: JobResultSchema.shape.embeddings,
  finishReason: z.string(),
  // The model's token counts; total and cost are added in postprocess.
  usage: JobUsageSchema.pick({
    promptTokens: true,
    completionTokens: true,
    cachedTokens: true,
    reasoningTokens: true,
  }),
  deployment: z.string(),
  model: z.string(),
  responseId: z.string(),
  capacity: JobUsageSchema.shape.capacity,
});

export const PostprocessMessageSchema = z.object({
  kind: z.literal('postprocess'),
  ...JobRefSchema,
  attempts: z.number().int().min(1),
  /** The invoke message's unseenCalls and timedOutCalls, for the job's usage. */
  unseenCalls: z.number().int().min(1).optional(),
  responseFormat: AcceptedChatRequestSchema.shape.response_format,
  completion: CompletionSchema,
});
export type PostprocessMessage = z.infer<typeof PostprocessMessageSchema>;

export const PersistMessageSchema = z.object({
  kind: z.literal('persist'),
  ...JobRefSchema,
  attempts: z.number().int().min(0),
  outcome: z.discriminatedUnion('status', [
    z.object({ status: z.literal('succeeded'), result: JobResultSchema, usage: JobUsageSchema }),
    z.object({ status: z.literal('failed'), error: JobErrorSchema, usage: JobUsageSchema.optional() }),
    // Usage only to flag an earlier call nobody saw answered (JobUsage.unseenCalls): expiry calls nothing.
    z.object({ status: z.literal('expired'), error: JobErrorSchema, usage: JobUsageSchema.optional() }),
  ]),
});
export type PersistMessage = z.infer<typeof PersistMessageSchema>;

export const DeliverMessageSchema = z.object({
  kind: z.literal('deliver'),
  event: JobEventSchema,
  attempt: z.number().int().min(0),
  /** Set for a retry or replay aimed at one endpoint; absent means every matching endpoint. */
  endpointId: z.string().optional(),
});
export type DeliverMessage = z.infer<typeof DeliverMessageSchema>;

export type StageMessage = InvokeMessage | PostprocessMessage | PersistMessage | DeliverMessage;
export type StageName = StageMessage['kind'];
