/**
 * Job events handed to the `deliver` stage. The webhook payload is built from these.
 */
import { z } from 'zod';
import {
  JobErrorSchema,
  JobResultSchema,
  JobUsageSchema,
  TerminalStatusSchema,
  type JobDocument,
  type TerminalStatus,
} from './job.js';

export const JOB_EVENT_TYPES = ['job.succeeded', 'job.failed', 'job.cancelled', 'job.expired'] as const;
export const JobEventTypeSchema = z.enum(JOB_EVENT_TYPES);
export type JobEventType = z.infer<typeof JobEventTypeSchema>;

export function eventTypeFor(status: TerminalStatus): JobEventType {
  switch (status) {
    case 'succeeded':
      return 'job.succeeded';
    case 'failed':
      return 'job.failed';
    case 'cancelled':
      return 'job.cancelled';
    case 'expired':
      return 'job.expired';
  }
}

export const JobEventSchema = z.object({
  type: JobEventTypeSchema,
  jobId: z.string(),
  tenantId: z.string(),
  status: TerminalStatusSchema,
  occurredAt: z.string(),
  traceId: z.string(),
  metadata: z.record(z.string(), z.string()),
  webhookEndpointId: z.string().optional(),
  result: JobResultSchema.optional(),
  error: JobErrorSchema.optional(),
  usage: JobUsageSchema.optional(),
});
export type JobEvent = z.infer<typeof JobEventSchema>;

/** The event a job's terminal state announces; a queued job has none. */
export function eventOf(job: JobDocument): JobEvent {
  if (job.status === 'queued') throw new Error(`job ${job.id} has no event while queued`);
  return {
    type: eventTypeFor(job.status),
    jobId: job.id,
    tenantId: job.tenantId,
    status: job.status,
    occurredAt: job.completedAt ?? job.updatedAt,
    traceId: job.traceId,
    metadata: job.metadata,
    ...(job.webhookEndpointId ? { webhookEndpointId: job.webhookEndpointId } : {}),
    ...(job.result ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.usage ? { usage: job.usage } : {}),
  };
}
