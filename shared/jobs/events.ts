/**
 * Job events handed to the `deliver` stage. The webhook payload is built from these.
 */
import type { JobError, JobResult, JobUsage, TerminalStatus } from './job.js';

export const JOB_EVENT_TYPES = ['job.succeeded', 'job.failed', 'job.cancelled'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export function eventTypeFor(status: TerminalStatus): JobEventType {
  switch (status) {
    case 'succeeded':
      return 'job.succeeded';
    case 'failed':
      return 'job.failed';
    case 'cancelled':
      return 'job.cancelled';
  }
}

export interface JobEvent {
  readonly type: JobEventType;
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: TerminalStatus;
  readonly occurredAt: string;
  readonly traceId: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly webhookEndpointId?: string;
  readonly result?: JobResult;
  readonly error?: JobError;
  readonly usage?: JobUsage;
}
