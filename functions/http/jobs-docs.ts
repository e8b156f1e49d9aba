/**
 * The jobs routes' schemas and documentation (handlers in jobs.ts, which validate with these).
 */
import { z } from 'zod';
import { JobIdSchema } from '../../shared/jobs/ids.js';
import { JOB_STATUSES, JobStatusSchema } from '../../shared/jobs/job.js';
import { AnySubmitJobSchema, BatchSubmitSchema, IdempotencyKeySchema } from '../../shared/jobs/submission.js';
import { JobListSchema, JobViewSchema } from './job-view.js';
import { LocationHeader, ProblemSchema, type RouteDoc } from './route-docs.js';

export const JobIdPathSchema = z.object({ id: JobIdSchema });

export const SubmitHeadersSchema = z.object({
  'idempotency-key': IdempotencyKeySchema.optional().meta({
    description:
      'Names the job: a repeat with the same key and body answers 200 with the same job, with another body 409. Default: a new random key.',
  }),
  traceparent: z.string().optional().meta({ description: 'W3C trace context: the job joins this trace.' }),
});

export const ListJobsQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  /** Opaque: as the previous page returned it (shared/jobs/continuation-token.ts). */
  continuationToken: z.string().min(1).max(8192).optional().meta({
    description:
      "Opaque: the previous page's continuationToken, unchanged, with the same status filter. Any other value is a 400.",
  }),
});

/** Longest long poll: under every proxy's idle timeout, and short enough that a lost client costs little. */
export const MAX_WAIT_SECONDS = 60;

export const GetJobQuerySchema = z.strictObject({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .meta({
      description: `Long poll: answer as soon as the job has ended, or after this many seconds (at most ${MAX_WAIT_SECONDS}) with the job as it is then. 0 or absent: at once.`,
    }),
});

/** The `data` of a `status` event of GET /v1/jobs/{id}/events. */
export const JobStatusEventSchema = z
  .object({ id: z.string(), status: JobStatusSchema, updatedAt: z.string() })
  .meta({ id: 'JobStatusEvent' });
export type JobStatusEvent = z.infer<typeof JobStatusEventSchema>;

const JOB_EVENTS_DESCRIPTION = [
  "Server-sent events (text/event-stream). The stream opens with the job's current status,",
  '`event: status` with `data:` a JobStatusEvent; when the job ends, a `status` event with its terminal',
  'status, then `event: result` with `data:` the whole Job, and the stream ends. A job already finished',
  'gets both at once. Comment lines (`: heartbeat`) keep the connection alive; a stream that reaches',
  'its bound (JOB_EVENTS_MAX_SECONDS) without a result ends, and the client reconnects.',
].join(' ');

/** One item's outcome in a batch: 202/200 with its job, or its own problem (4xx/5xx). */
export const BatchItemResultSchema = z
  .object({
    index: z.number().int().min(0),
    status: z.number().int(),
    job: JobViewSchema.optional(),
    problem: ProblemSchema.optional(),
  })
  .meta({ id: 'BatchItemResult' });

export const BatchResultSchema = z
  .object({ results: z.array(BatchItemResultSchema) })
  .meta({ id: 'BatchResult' });
export type BatchResult = z.infer<typeof BatchResultSchema>;

export const JOBS_DOCS = {
  submitJob: {
    summary: 'Submit a job',
    description:
      'An OpenAI chat-completions shaped body (`messages`), or an embeddings one (`input`). 202 + Location for a new job; 200 with the same job for a repeated Idempotency-Key and body; 409 for the same key with another body.',
    access: 'tenant',
    headers: SubmitHeadersSchema,
    body: { schema: AnySubmitJobSchema },
    responses: {
      202: { description: 'Accepted: the new job, queued', schema: JobViewSchema, headers: LocationHeader },
      200: {
        description: 'A repeat: the job this key already names',
        schema: JobViewSchema,
        headers: LocationHeader,
      },
    },
    problems: [400, 409, 429],
  },
  submitJobBatch: {
    summary: 'Submit up to 100 jobs',
    description:
      'Each item is validated and admitted on its own, with its own trace: 207 with one result per item (status + job, or status + problem), so a bad item never fails the others.',
    access: 'tenant',
    body: { schema: BatchSubmitSchema },
    responses: { 207: { description: 'One result per item, in order', schema: BatchResultSchema } },
    problems: [400],
  },
  listJobs: {
    summary: "List the tenant's jobs, newest first",
    access: 'tenant',
    query: ListJobsQuerySchema,
    responses: { 200: { description: 'A page of jobs', schema: JobListSchema } },
    problems: [400],
  },
  getJob: {
    summary: 'Read one job',
    description:
      'Status, result (with `parsed` JSON when a schema was requested), usage and cost, error, trace id.',
    access: 'tenant',
    path: JobIdPathSchema,
    query: GetJobQuerySchema,
    responses: { 200: { description: 'The job', schema: JobViewSchema } },
    problems: [400, 404],
  },
  getJobEvents: {
    summary: "Follow one job's status until its result",
    description: JOB_EVENTS_DESCRIPTION,
    access: 'tenant',
    path: JobIdPathSchema,
    responses: {
      200: {
        description: 'The event stream: `status` events (JobStatusEvent), then `result` (Job)',
        schema: z.string(),
        contentType: 'text/event-stream',
      },
    },
    problems: [400, 404],
  },
  cancelJob: {
    summary: 'Cancel a queued job',
    description: 'A cancelled job never turns into a success; 409 once it is finished.',
    access: 'tenant',
    path: JobIdPathSchema,
    responses: { 200: { description: 'The cancelled job', schema: JobViewSchema } },
    problems: [400, 404, 409],
  },
} as const satisfies Record<string, RouteDoc>;
