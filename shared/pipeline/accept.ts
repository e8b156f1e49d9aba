/**
 * Accept: the one use case behind both front doors (`POST /api/v1/jobs` and the `intake` queue).
 * Validates, creates the job idempotently (id from tenant + Idempotency-Key), and hands it to `invoke`.
 */
import { ConflictError, ValidationError } from '../errors/index.js';
import { jobIdFor, newIdempotencyKey, requestHashOf } from '../jobs/ids.js';
import type { JobDocument } from '../jobs/job.js';
import { submitSchemaFor, type AnySubmitJob, type JobPriority } from '../jobs/submission.js';
import type { InvokeScheduling } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { AcceptDeps, StageDeps } from './deps.js';
import { deliverMessage, invokeMessage } from './outbound.js';
import { requireHeavySchemaChecked } from './submitted-schema.js';
import { parseOrThrow } from './validation.js';

export interface AcceptInput {
  readonly tenantId: string;
  readonly idempotencyKey?: string;
  readonly body: unknown;
  readonly source: JobDocument['source'];
  readonly trace: TraceContext;
  /** Tenant budget spent with policy `hold` (shared/tenancy): run the job no earlier than this. */
  readonly notBeforeMs?: number;
  /** The tenant's retention; defaults to JOB_RETENTION_DAYS. */
  readonly retentionSeconds?: number;
  /** The tenant's scheduling settings for this job (absent: standard priority, weight 1, no token limit). */
  readonly scheduling?: TenantJobScheduling;
}

export interface TenantJobScheduling {
  /** The tenant's default priority, for a job that names none. */
  readonly defaultPriority: JobPriority;
  readonly weight: number;
  /** The tenant's model tokens per minute for the job's alias, if it has a limit. */
  readonly tokensPerMinute?: number;
}

export interface AcceptResult {
  readonly job: JobDocument;
  /** False when the Idempotency-Key named a job that already existed with the same request. */
  readonly created: boolean;
}

export async function acceptJob(deps: AcceptDeps, input: AcceptInput): Promise<AcceptResult> {
  const submission = parseOrThrow(submitSchemaFor(input.body), input.body, 'The job request');
  if ('messages' in submission)
    await requireHeavySchemaChecked(deps, input.tenantId, submission, input.source);
  // A held job's invoke is a scheduled message (a delay is a message); its deadline starts then.
  const holdUntil =
    input.notBeforeMs !== undefined && input.notBeforeMs > deps.clock() ? input.notBeforeMs : undefined;
  const job = newJob(deps, input, submission, (holdUntil ?? deps.clock()) + deps.settings.deadlineMs);
  if (job.webhookEndpointId !== undefined) await requireUsableEndpoint(deps, job, job.webhookEndpointId);
  const { created, stored } = await deps.jobs.create(job);
  if (!created && stored.job.requestHash !== job.requestHash) {
    throw new ConflictError(
      'This Idempotency-Key was already used for a different request; use a new key for a new job.',
    );
  }
  if (created || shouldResendInvoke(deps, stored.job)) {
    const message = invokeMessage(
      {
        kind: 'invoke',
        jobId: stored.job.id,
        tenantId: stored.job.tenantId,
        metadata: stored.job.metadata,
        ...(stored.job.webhookEndpointId ? { webhookEndpointId: stored.job.webhookEndpointId } : {}),
        traceId: stored.job.traceId,
        timings: { acceptedAt: Date.parse(stored.job.createdAt) },
        deadlineAt:
          stored.job.deadlineAt ?? (holdUntil ?? Date.parse(stored.job.createdAt)) + deps.settings.deadlineMs,
        ...(stored.job.expiresAt !== undefined ? { expiresAt: stored.job.expiresAt } : {}),
        // Carried to persist, which sets the TTL from it in its one write (no read of the job).
        ...(stored.job.retentionSeconds !== undefined
          ? { retentionSeconds: stored.job.retentionSeconds }
          : {}),
        attempt: 0,
        hop: 0,
        // A large request is stored by reference: read back only for a repeat that re-sends.
        request: await deps.jobs.requestOf(created ? job : stored.job),
        scheduling: schedulingOf(stored.job, input.scheduling),
      },
      input.trace,
    );
    if (holdUntil !== undefined) await deps.publisher.schedule(message, new Date(holdUntil));
    else await deps.publisher.send(message);
  }
  deps.logger.info('job.accepted', {
    stage: 'accept',
    jobId: stored.job.id,
    tenantId: stored.job.tenantId,
    traceId: stored.job.traceId,
    created,
    source: input.source,
  });
  return { job: stored.job, created };
}

/**
 * Refuses a job naming an endpoint that is not the tenant's own and enabled: the deliver stage could only
 * drop its events. Another tenant's endpoint gets the same answer as one that never existed, so ids cannot
 * be probed. A repeat of a job already accepted is let through (it answers with that job, as any repeat
 * does), even if the endpoint was disabled since.
 */
async function requireUsableEndpoint(deps: AcceptDeps, job: JobDocument, endpointId: string): Promise<void> {
  const standing = await deps.webhookEndpoints.standing(job.tenantId, endpointId);
  if (standing === 'enabled') return;
  const existing = await deps.jobs.get(job.tenantId, job.id);
  if (existing?.job.requestHash === job.requestHash) return;
  const message =
    standing === 'disabled'
      ? 'this webhook endpoint is disabled; enable it first'
      : 'no webhook endpoint of yours has this id';
  throw new ValidationError(`The job request is invalid: webhook_endpoint_id: ${message}`, [
    { field: 'webhook_endpoint_id', message },
  ]);
}

/**
 * A repeat of a still-queued job re-sends its first invoke message: if the first send was lost (the
 * caller retried because our answer never reached it) this recovers the job; if it was not lost,
 * duplicate detection drops the copy. Past the detection window a re-send could run the job twice,
 * so it is skipped there.
 */
function shouldResendInvoke(deps: StageDeps, job: JobDocument): boolean {
  return (
    job.status === 'queued' && deps.clock() - Date.parse(job.createdAt) < deps.settings.duplicateWindowMs
  );
}

function newJob(
  deps: StageDeps,
  input: AcceptInput,
  submission: AnySubmitJob,
  deadlineAt: number,
): JobDocument {
  const idempotencyKey = input.idempotencyKey ?? newIdempotencyKey();
  const now = new Date(deps.clock()).toISOString();
  const expiresAfterMs =
    submission.expires_after !== undefined
      ? submission.expires_after * 1000
      : deps.settings.defaultExpiresAfterMs;
  const {
    metadata,
    webhook_endpoint_id: webhookEndpointId,
    expires_after: _expiresAfter,
    priority,
    ...request
  } = submission;
  return {
    id: jobIdFor(input.tenantId, idempotencyKey),
    tenantId: input.tenantId,
    status: 'queued',
    idempotencyKey,
    requestHash: requestHashOf(submission),
    request,
    metadata: metadata ?? {},
    ...(webhookEndpointId ? { webhookEndpointId } : {}),
    source: input.source,
    traceId: input.trace.traceId,
    createdAt: now,
    updatedAt: now,
    deadlineAt,
    ...(expiresAfterMs !== undefined ? { expiresAt: Date.parse(now) + expiresAfterMs } : {}),
    ...(input.retentionSeconds !== undefined ? { retentionSeconds: input.retentionSeconds } : {}),
    priority: priority ?? input.scheduling?.defaultPriority ?? 'standard',
  };
}

/** The stored job's priority (a repeat keeps the first one's) with the tenant's weight and limit. */
function schedulingOf(job: JobDocument, tenant: TenantJobScheduling | undefined): InvokeScheduling {
  return {
    priority: job.priority ?? tenant?.defaultPriority ?? 'standard',
    weight: tenant?.weight ?? 1,
    ...(tenant?.tokensPerMinute !== undefined ? { tokensPerMinute: tenant.tokensPerMinute } : {}),
  };
}

export interface RejectInput {
  readonly tenantId: string;
  readonly idempotencyKey: string;
  readonly error: ValidationError;
  readonly trace: TraceContext;
}

/**
 * A queued submission that fails validation but names its tenant and key is tied to a job: the job is
 * recorded as `failed` with the reason (the producer polls the id it can derive) and its event is sent.
 */
export async function rejectQueuedSubmission(deps: StageDeps, input: RejectInput): Promise<JobDocument> {
  const now = new Date(deps.clock()).toISOString();
  const job: JobDocument = {
    id: jobIdFor(input.tenantId, input.idempotencyKey),
    tenantId: input.tenantId,
    status: 'failed',
    idempotencyKey: input.idempotencyKey,
    requestHash: 'invalid',
    request: { model: 'invalid', messages: [{ role: 'user', content: '(invalid submission)' }] },
    metadata: {},
    source: 'queue',
    traceId: input.trace.traceId,
    createdAt: now,
    updatedAt: now,
    completedAt: now,
    attempts: 0,
    error: { code: 'validation_failed', message: input.error.detail },
    ttl: deps.settings.retentionSeconds,
  };
  const { created, stored } = await deps.jobs.create(job);
  if (created) {
    await deps.publisher.send(
      deliverMessage(
        {
          kind: 'deliver',
          attempt: 0,
          event: {
            type: 'job.failed',
            jobId: job.id,
            tenantId: job.tenantId,
            status: 'failed',
            occurredAt: now,
            traceId: job.traceId,
            metadata: {},
            error: job.error,
          },
        },
        input.trace,
      ),
    );
  }
  deps.logger.warn('job.rejected', {
    stage: 'accept',
    jobId: job.id,
    tenantId: job.tenantId,
    traceId: job.traceId,
    reason: input.error.detail,
  });
  return stored.job;
}
