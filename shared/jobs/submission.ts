/**
 * What a producer submits: an OpenAI chat-completions shaped request plus job options. The same schema
 * validates `POST /api/v1/jobs` bodies and `intake` queue message bodies.
 */
import { z } from 'zod';
import { EndpointIdSchema } from './ids.js';
import { ChatRequestSchema, MetadataSchema } from './schema.js';

export const SubmitJobSchema = ChatRequestSchema.extend({
  metadata: MetadataSchema.optional(),
  /**
   * Send this job's events to one registered endpoint instead of every matching one. Its format is checked
   * here; that it is the tenant's own, enabled endpoint is checked by accept (shared/pipeline/accept.ts).
   */
  webhook_endpoint_id: EndpointIdSchema.optional(),
}).meta({ id: 'SubmitJob' });
export type SubmitJob = z.infer<typeof SubmitJobSchema>;

/** Idempotency keys follow the IETF draft's spirit: opaque, client-chosen, bounded. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const BatchSubmitSchema = z
  .strictObject({
    jobs: z
      .array(
        z.strictObject({
          idempotency_key: IdempotencyKeySchema.optional(),
          job: SubmitJobSchema,
        }),
      )
      .min(1)
      .max(100),
  })
  .meta({ id: 'BatchSubmit' });
export type BatchSubmit = z.infer<typeof BatchSubmitSchema>;
