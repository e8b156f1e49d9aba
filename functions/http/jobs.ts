/**
 * Producer routes: submit, submit a batch, read, list, cancel. Each is parse -> use case -> response.
 */
import { ValidationError } from '../../shared/errors/index.js';
import { JobIdSchema } from '../../shared/jobs/ids.js';
import {
  BatchEnvelopeSchema,
  batchItemSchemaFor,
  IdempotencyKeySchema,
} from '../../shared/jobs/submission.js';
import { recordJobAccepted } from '../../shared/telemetry/metrics.js';
import { acceptJob } from '../../shared/pipeline/accept.js';
import * as cancellation from '../../shared/pipeline/cancel.js';
import * as reads from '../../shared/pipeline/reads.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import { json, pathParam, readJsonBody, tenantRoute, type AuthenticatedScope } from './context.js';
import { problemResponse } from './problem.js';
import { admitSubmission, admittedOrThrow } from '../admission.js';
import { toJobView } from './job-view.js';
import { GetJobQuerySchema, ListJobsQuerySchema } from './jobs-docs.js';
import { jobEventStream } from './job-events.js';
import { watchJob } from '../../shared/watch/watch-job.js';
import { recordJobFinished } from '../../shared/telemetry/metrics.js';
import { inNewTrace } from '../../shared/telemetry/tracing.js';
import type { TraceContext } from '../../shared/telemetry/trace-context.js';

function jobLocation(scope: AuthenticatedScope, jobId: string): string {
  return new URL(
    `/api/v1/jobs/${encodeURIComponent(jobId)}`,
    scope.services.config.PUBLIC_BASE_URL,
  ).toString();
}

function idempotencyKeyOf(scope: AuthenticatedScope): string | undefined {
  const header = scope.request.headers.get('idempotency-key');
  if (header === null) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(header);
  if (!parsed.success) {
    throw new ValidationError('The Idempotency-Key header is invalid.', [
      { field: '(header) idempotency-key', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return parsed.data;
}

export const submitJob = tenantRoute(async (scope) => {
  const idempotencyKey = idempotencyKeyOf(scope);
  const { value, bytes } = await readJsonBody(scope);
  // Per-tenant limits (shared/tenancy): 403/400/413/429 before any write; `hold` schedules the job.
  const admission = admittedOrThrow(
    await admitSubmission(scope.services, scope.principal.tenantId, value, bytes),
  );
  const { job, created } = await acceptJob(scope.services.accept, {
    tenantId: scope.principal.tenantId,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    body: value,
    source: 'http',
    trace: scope.trace,
    ...admission,
  });
  if (created) recordJobAccepted(scope.principal.tenantId, 'http');
  // 202 for a new job; a repeat answers 200 with the existing job (IETF Idempotency-Key draft).
  return json(created ? 202 : 200, toJobView(job), { location: jobLocation(scope, job.id) });
});

export const submitJobBatch = tenantRoute(async (scope) => {
  const { value } = await readJsonBody(scope);
  const batch = parseOrThrow(BatchEnvelopeSchema, value, 'The batch');
  // Each item stands alone: validated on its own (one bad item does not refuse the others), with its
  // own outcome and its own trace, as if it had been submitted alone.
  const results: Array<Record<string, unknown>> = [];
  for (const [index, raw] of batch.jobs.entries()) {
    results.push(await inNewTrace('batch item', (trace) => submitBatchItem(scope, index, raw, trace)));
  }
  return json(207, { results });
});

async function submitBatchItem(
  scope: AuthenticatedScope,
  index: number,
  raw: unknown,
  trace: TraceContext,
): Promise<Record<string, unknown>> {
  try {
    const item = parseOrThrow(batchItemSchemaFor(raw), raw, `Item ${index}`);
    const admission = admittedOrThrow(
      await admitSubmission(
        scope.services,
        scope.principal.tenantId,
        item.job,
        Buffer.byteLength(JSON.stringify(item.job)),
      ),
    );
    const { job, created } = await acceptJob(scope.services.accept, {
      tenantId: scope.principal.tenantId,
      ...(item.idempotency_key ? { idempotencyKey: item.idempotency_key } : {}),
      body: item.job,
      source: 'http',
      trace,
      ...admission,
    });
    if (created) recordJobAccepted(scope.principal.tenantId, 'http');
    return { index, status: created ? 202 : 200, job: toJobView(job) };
  } catch (error) {
    const response = problemResponse(error, { traceId: trace.traceId });
    return { index, status: response.status, problem: JSON.parse(response.body as string) as unknown };
  }
}

export const getJob = tenantRoute(async (scope) => {
  const jobId = pathParam(scope, 'id', JobIdSchema);
  const { wait } = parseOrThrow(
    GetJobQuerySchema,
    Object.fromEntries(scope.request.query.entries()),
    'The query',
  );
  if (!wait)
    return json(200, toJobView(await reads.getJob(scope.services.jobs, scope.principal.tenantId, jobId)));
  // Long poll: one read now; the end, if it comes within the bound, from the host's job watcher.
  const { job, end } = await watchJob(
    scope.services,
    { tenantId: scope.principal.tenantId, id: jobId },
    { timeoutMs: wait * 1000 },
  );
  return json(200, toJobView((await end) ?? job));
});

export const getJobEvents = tenantRoute(async (scope) =>
  jobEventStream(scope, pathParam(scope, 'id', JobIdSchema)),
);

export const listJobs = tenantRoute(async (scope) => {
  const query = parseOrThrow(
    ListJobsQuerySchema,
    Object.fromEntries(scope.request.query.entries()),
    'The query',
  );
  const page = await reads.listJobs(scope.services.jobs, scope.principal.tenantId, query);
  return json(200, {
    jobs: page.jobs.map(toJobView),
    ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
  });
});

export const cancelJob = tenantRoute(async (scope) => {
  const jobId = pathParam(scope, 'id', JobIdSchema);
  const job = await cancellation.cancelJob(
    scope.services.events,
    scope.principal.tenantId,
    jobId,
    scope.trace,
  );
  // Reached only when this call moved the job to cancelled (a finished job is a 409).
  recordJobFinished(scope.principal.tenantId, 'cancelled');
  return json(200, toJobView(job));
});
