/**
 * The `intake` queue: producers send jobs with their own Service Bus SDK. Same accept use case as HTTP.
 *
 * Contract for producers: body = the same JSON as `POST /api/v1/jobs`; application property `tenantId`
 * (required) and optionally `idempotencyKey` (defaults to the message id, so a re-sent message is the
 * same job). Sending needs the Data Sender role on this queue, granted per producer team.
 */
import type { InvocationContext } from '@azure/functions';
import { Buffer } from 'node:buffer';
import { ConflictError, ValidationError } from '../../shared/errors/index.js';
import { IdempotencyKeySchema } from '../../shared/jobs/submission.js';
import { parseJsonSafely } from '../http/safe-json.js';
import { TenantIdSchema } from '../../shared/tenancy/tenant.js';
import { acceptJob, rejectQueuedSubmission, type TenantJobScheduling } from '../../shared/pipeline/accept.js';
import { recordJobAccepted } from '../../shared/telemetry/metrics.js';
import { traceContextOf, type Span } from '../../shared/telemetry/tracing.js';
import type { QueueMessage, QueueOutcome } from '../definitions.js';
import { admitSubmission } from '../admission.js';
import type { AppServices } from '../app-services.js';
import { getServices } from '../services.js';
import { deadLetter } from './stage-trigger.js';
import { tracedMessage, traceparentOf } from './traced-message.js';

export function acceptQueue(message: QueueMessage, _context: InvocationContext): Promise<QueueOutcome> {
  return tracedMessage('intake', message, (_traceparent, span) => accept(message, span));
}

async function accept(message: QueueMessage, span: Span): Promise<QueueOutcome> {
  const services = await getServices();
  const tenantId = message.applicationProperties.tenantId;
  if (typeof tenantId !== 'string' || tenantId.length === 0) {
    return deadLetter('MissingTenant', 'Intake messages need the application property tenantId.');
  }
  if (!TenantIdSchema.safeParse(tenantId).success) {
    // No tenant can have this id, and it must not reach the tenant store (Cosmos DB refuses `/` in ids).
    return deadLetter(
      'TenantNotAllowed',
      'The application property tenantId is not a tenant id (2-63 lowercase letters, digits and -).',
    );
  }
  const rawKey = message.applicationProperties.idempotencyKey ?? message.messageId;
  const key = IdempotencyKeySchema.safeParse(rawKey);
  if (!key.success) {
    return deadLetter(
      'InvalidIdempotencyKey',
      'idempotencyKey (or the message id) must be 1-255 printable ASCII characters.',
    );
  }
  // The job's trace is this span's: its id goes back to the producer, its children are the next hops.
  const trace = traceContextOf(span, traceparentOf(message));
  // Tied to a job (tenant + key name it): the job records the failure, the producer can see why.
  const fail = async (error: ValidationError): Promise<QueueOutcome> => {
    await rejectQueuedSubmission(services.stage, { tenantId, idempotencyKey: key.data, error, trace });
    return { settle: 'complete' };
  };
  try {
    const body = bodyOf(message.body);
    const admission = await admit(services, tenantId, body);
    if (admission.kind === 'refused') return deadLetter(admission.reason, admission.detail);
    if (admission.kind === 'failed') return fail(admission.error);
    const { created } = await acceptJob(services.accept, {
      tenantId,
      idempotencyKey: key.data,
      body,
      source: 'queue',
      trace,
      ...(admission.retentionSeconds !== undefined ? { retentionSeconds: admission.retentionSeconds } : {}),
      ...(admission.notBeforeMs !== undefined ? { notBeforeMs: admission.notBeforeMs } : {}),
      ...(admission.scheduling ? { scheduling: admission.scheduling } : {}),
    });
    if (created) recordJobAccepted(tenantId, 'queue');
    return { settle: 'complete' };
  } catch (error) {
    if (error instanceof ValidationError) return fail(error);
    if (error instanceof ConflictError) {
      return deadLetter('IdempotencyConflict', error.detail);
    }
    throw error;
  }
}

type QueueAdmission =
  | {
      readonly kind: 'admitted';
      readonly notBeforeMs?: number;
      readonly retentionSeconds?: number;
      readonly scheduling?: TenantJobScheduling;
    }
  | { readonly kind: 'refused'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'failed'; readonly error: ValidationError };

/**
 * The same tenant gate as HTTP. A queue producer cannot be answered 429, so a submission over the rate
 * limit, the jobs in flight or a spent budget is accepted and scheduled for when it is allowed; a
 * tenant that does not exist or is suspended cannot own a job, so the message is dead-lettered; a
 * request the tenant's rules refuse (size, message count, model) fails as a job.
 */
async function admit(services: AppServices, tenantId: string, body: unknown): Promise<QueueAdmission> {
  const bytes = Buffer.byteLength(JSON.stringify(body) ?? '');
  const decision = await admitSubmission(services, tenantId, body, bytes);
  if (decision.kind === 'admit') {
    const { kind: _kind, ...fields } = decision;
    return { kind: 'admitted', ...fields };
  }
  switch (decision.reason) {
    case 'tenant_disabled':
      return { kind: 'refused', reason: 'TenantNotAllowed', detail: decision.error.detail };
    case 'rate_limited':
      return { kind: 'admitted', notBeforeMs: Date.now() + decision.error.retryAfterMs };
    case 'too_large': {
      const { detail } = decision.error;
      return { kind: 'failed', error: new ValidationError(detail, [{ field: '(body)', message: detail }]) };
    }
    case 'not_allowed':
      return { kind: 'failed', error: decision.error };
    case 'priority_not_allowed':
      // A job ties it to the producer's key: it fails naming the field, as the HTTP 403 does.
      return { kind: 'failed', error: new ValidationError(decision.error.detail, decision.error.issues) };
  }
}

/** Producers may send a JSON body (object) or its text or bytes; all mean the same submission. */
function bodyOf(body: unknown): unknown {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array)
    return parseJsonSafely(Buffer.from(body).toString('utf8'));
  if (typeof body === 'string') return parseJsonSafely(body);
  return body;
}
