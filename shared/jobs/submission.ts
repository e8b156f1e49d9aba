/**
 * What a producer submits: an OpenAI chat-completions shaped request plus job options. The same schema
 * validates `POST /api/v1/jobs` bodies and `intake` queue message bodies.
 */
import { z } from 'zod';
import { EndpointIdSchema } from './ids.js';
import { EmbeddingsRequestSchema, isEmbeddingsBody } from './embeddings.js';
import { ChatRequestSchema, MetadataSchema } from './schema.js';

/** A minute at least (a job needs time to run at all), a week at most (the longest deadline). */
export const MIN_EXPIRES_AFTER_SECONDS = 60;
export const MAX_EXPIRES_AFTER_SECONDS = 7 * 24 * 60 * 60;

/** Which of a tenant's jobs go first when model quota is scarce (shared/model/fairness/). */
export const JOB_PRIORITIES = ['interactive', 'standard', 'background'] as const;
export const JobPrioritySchema = z.enum(JOB_PRIORITIES);
export type JobPriority = z.infer<typeof JobPrioritySchema>;

/** The job options both kinds of job take beside their model request. */
const jobOptionsShape = {
  metadata: MetadataSchema.optional(),
  /**
   * Send this job's events to one registered endpoint instead of every matching one. Its format is checked
   * here; that it is the tenant's own, enabled endpoint is checked by accept (shared/pipeline/accept.ts).
   */
  webhook_endpoint_id: EndpointIdSchema.optional(),
  /**
   * Seconds after acceptance when the result is no longer wanted: a job still queued then ends `expired`
   * (event `job.expired`) and its model is not called. Default: JOB_EXPIRES_AFTER_SECONDS, if set.
   */
  expires_after: z.number().int().min(MIN_EXPIRES_AFTER_SECONDS).max(MAX_EXPIRES_AFTER_SECONDS).optional(),
  /**
   * When model quota is scarce, a tenant's interactive jobs go before its standard ones, and those before
   * background ones (which still run before their deadline). Default: the tenant's default priority. One
   * the tenant may not use is refused with 403.
   */
  priority: JobPrioritySchema.optional(),
};

/** A chat job. */
export const SubmitJobSchema = ChatRequestSchema.extend(jobOptionsShape).meta({ id: 'SubmitJob' });
export type SubmitJob = z.infer<typeof SubmitJobSchema>;

/** An embeddings job: `input` instead of `messages` (shared/jobs/embeddings.ts). */
export const SubmitEmbeddingsJobSchema = EmbeddingsRequestSchema.extend(jobOptionsShape).meta({
  id: 'SubmitEmbeddingsJob',
});
export type SubmitEmbeddingsJob = z.infer<typeof SubmitEmbeddingsJobSchema>;
export type AnySubmitJob = SubmitJob | SubmitEmbeddingsJob;

/** Either kind, as the API documents a job body. */
export const AnySubmitJobSchema = z.union([SubmitJobSchema, SubmitEmbeddingsJobSchema]);

/**
 * The schema a body is checked with: the embeddings one when it has `input` and no `messages`, else the
 * chat one. Each names its own fields in its problems, where a union would report "no member matched".
 */
export function submitSchemaFor(body: unknown): z.ZodType<AnySubmitJob> {
  return isEmbeddingsBody(body) ? SubmitEmbeddingsJobSchema : SubmitJobSchema;
}

/** Idempotency keys follow the IETF draft's spirit: opaque, client-chosen, bounded. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const batchItem = <T extends z.ZodType>(job: T) =>
  z.strictObject({ idempotency_key: IdempotencyKeySchema.optional(), job });

/** A batch item as documented: either kind of job. */
export const BatchItemSchema = batchItem(AnySubmitJobSchema);

/** The schema an item is checked with: its job's own kind (submitSchemaFor), so problems name its fields. */
export function batchItemSchemaFor(item: unknown): z.ZodType<z.infer<typeof BatchItemSchema>> {
  const job = typeof item === 'object' && item !== null ? (item as { job?: unknown }).job : undefined;
  return batchItem(submitSchemaFor(job));
}

/** The documented shape of `POST /api/v1/jobs/batch`. */
export const BatchSubmitSchema = z
  .strictObject({ jobs: z.array(BatchItemSchema).min(1).max(100) })
  .meta({ id: 'BatchSubmit' });

/**
 * What the route checks of the whole request: the list itself. Each item is checked on its own
 * (BatchItemSchema), so a bad item is that item's 400 and never refuses the others.
 */
export const BatchEnvelopeSchema = z.strictObject({ jobs: z.array(z.unknown()).min(1).max(100) });
export type BatchSubmit = z.infer<typeof BatchSubmitSchema>;
