/**
 * What a producer submits: an OpenAI chat-completions shaped request plus job options. The same schema
 * validates `POST /api/v1/jobs` bodies and `intake` queue message bodies.
 */
import { z } from 'zod';
import { EndpointIdSchema } from './ids.js';
import { ChatRequestSchema, MetadataSchema } from './schema.js';

/** A minute at least (a job needs time to run at all), a week at most (the longest deadline). */
export const MIN_EXPIRES_AFTER_SECONDS = 60;
export const MAX_EXPIRES_AFTER_SECONDS = 7 * 24 * 60 * 60;

/** Which of a tenant's jobs go first when model quota is scarce (shared/model/fairness/). */
export const JOB_PRIORITIES = ['interactive', 'standard', 'background'] as const;
export const JobPrioritySchema = z.enum(JOB_PRIORITIES);
export type JobPriority = z.infer<typeof JobPrioritySchema>;

export const SubmitJobSchema = ChatRequestSchema.extend({
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
}).meta({ id: 'SubmitJob' });
export type SubmitJob = z.infer<typeof SubmitJobSchema>;

/** Idempotency keys follow the IETF draft's spirit: opaque, client-chosen, bounded. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const BatchItemSchema = z.strictObject({
  idempotency_key: IdempotencyKeySchema.optional(),
  job: SubmitJobSchema,
});

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
