/**
 * The public shape of a job (API responses and the OpenAPI document). Internal fields (request hash,
 * TTL, source) stay inside.
 */
import { z } from 'zod';
import {
  JobErrorSchema,
  JobResultSchema,
  JobStatusSchema,
  JobUsageSchema,
  type JobDocument,
} from '../../shared/jobs/job.js';
import { JobPrioritySchema } from '../../shared/jobs/submission.js';

export const JobViewSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    model: z.string(),
    idempotencyKey: z.string(),
    metadata: z.record(z.string(), z.string()),
    webhookEndpointId: z.string().optional(),
    priority: JobPrioritySchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().optional(),
    attempts: z.number().int().optional(),
    // The same shapes the stages carry and persist.
    result: JobResultSchema.optional(),
    usage: JobUsageSchema.optional(),
    error: JobErrorSchema.optional(),
    traceId: z.string(),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobViewSchema>;

export function toJobView(job: JobDocument): JobView {
  return {
    id: job.id,
    status: job.status,
    model: job.request.model,
    idempotencyKey: job.idempotencyKey,
    metadata: job.metadata,
    ...(job.webhookEndpointId ? { webhookEndpointId: job.webhookEndpointId } : {}),
    ...(job.priority ? { priority: job.priority } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
    ...(job.attempts !== undefined ? { attempts: job.attempts } : {}),
    ...(job.result ? { result: job.result } : {}),
    ...(job.usage ? { usage: job.usage } : {}),
    ...(job.error ? { error: job.error } : {}),
    traceId: job.traceId,
  };
}

export const JobListSchema = z
  .object({ jobs: z.array(JobViewSchema), continuationToken: z.string().optional() })
  .meta({ id: 'JobList' });
