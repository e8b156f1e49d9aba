/**
 * The `intake` queue: producers send jobs with their own Service Bus SDK. Same accept use case as HTTP.
 *
 * Contract for producers: body = the same JSON as `POST /api/v1/jobs`; application property `tenantId`
 * (required) and optionally `idempotencyKey` (defaults to the message id, so a re-sent message is the
 * same job). Sending needs the Data Sender role on this queue, granted per producer team.
 */
import type { InvocationContext } from '@azure/functions';
import { Buffer } from 'node:buffer';
import {
  ConflictError,
  ForbiddenError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationError,
} from '../../shared/errors/index.js';
import { IdempotencyKeySchema } from '../../shared/jobs/submission.js';
import { parseJsonSafely } from '../http/safe-json.js';
import { TenantIdSchema } from '../../shared/tenancy/tenant.js';
import { acceptJob, rejectQueuedSubmission } from '../../shared/pipeline/accept.js';
import { continueOrStartTrace } from '../../shared/telemetry/trace-context.js';
import type { QueueMessage, QueueOutcome } from '../definitions.js';
import { admitSubmission } from '../admission.js';
import type { AppServices } from '../app-services.js';
import { getServices } from '../services.js';
import { deadLetter, traceparentOf } from './stage-trigger.js';

export async function acceptQueue(message: QueueMessage, _context: InvocationContext): Promise<QueueOutcome> {
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
  const trace = continueOrStartTrace(traceparentOf(message));
  try {
    const body = bodyOf(message.body);
    const admission = await admit(services, tenantId, body);
    if (admission.kind === 'refused') return deadLetter(admission.reason, admission.detail);
    await acceptJob(services.accept, {
      tenantId,
      idempotencyKey: key.data,
      body,
      source: 'queue',
      trace,
      ...(admission.retentionSeconds !== undefined ? { retentionSeconds: admission.retentionSeconds } : {}),
      ...(admission.notBeforeMs !== undefined ? { notBeforeMs: admission.notBeforeMs } : {}),
    });
    return { settle: 'complete' };
  } catch (error) {
    if (error instanceof ValidationError) {
      // Tied to a job (tenant + key name it): the job records the failure, the producer can see why.
      await rejectQueuedSubmission(services.stage, { tenantId, idempotencyKey: key.data, error, trace });
      return { settle: 'complete' };
    }
    if (error instanceof ConflictError) {
      return deadLetter('IdempotencyConflict', error.detail);
    }
    throw error;
  }
}

type QueueAdmission =
  | { readonly kind: 'admitted'; readonly notBeforeMs?: number; readonly retentionSeconds?: number }
  | { readonly kind: 'refused'; readonly reason: string; readonly detail: string };

/**
 * The same tenant gate as HTTP. A queue producer cannot be answered 429, so a submission over the rate
 * limit (or past a spent budget with the `hold` policy) is accepted and scheduled for when it is
 * allowed; a tenant that does not exist or is suspended cannot own a job, so the message is
 * dead-lettered; a request over the tenant's size or message limits fails as a job.
 */
async function admit(services: AppServices, tenantId: string, body: unknown): Promise<QueueAdmission> {
  try {
    const bytes = Buffer.byteLength(JSON.stringify(body) ?? '');
    return { kind: 'admitted', ...(await admitSubmission(services, tenantId, body, bytes)) };
  } catch (error) {
    if (error instanceof ForbiddenError)
      return { kind: 'refused', reason: 'TenantNotAllowed', detail: error.detail };
    if (error instanceof RateLimitedError)
      return { kind: 'admitted', notBeforeMs: Date.now() + error.retryAfterMs };
    if (error instanceof PayloadTooLargeError)
      throw new ValidationError(error.detail, [{ field: '(body)', message: error.detail }]);
    throw error;
  }
}

/** Producers may send a JSON body (object) or its text or bytes; all mean the same submission. */
function bodyOf(body: unknown): unknown {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array)
    return parseJsonSafely(Buffer.from(body).toString('utf8'));
  if (typeof body === 'string') return parseJsonSafely(body);
  return body;
}
