/**
 * Persist: write the terminal state once, guarded by the ETag, and emit the job's event to `deliver`
 * (skipped when nobody is subscribed to it: shared/stages/emit-event.ts).
 * Stale or repeated messages cannot overwrite newer state: a job already terminal is left as it is.
 */
import { PoisonMessageError } from '../errors/index.js';
import { eventTypeFor, type JobEvent } from '../jobs/events.js';
import { canTransition, retentionOf, type JobDocument, type StoredJob } from '../jobs/job.js';
import type { PersistMessage } from '../messaging/stage-messages.js';
import { parseTraceparent, newTrace, type TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { emitJobEvent } from './emit-event.js';

/** ETag races are rare (a cancel at the same moment); a few re-reads settle them. */
const MAX_WRITE_ATTEMPTS = 3;

export type PersistOutcome = 'written' | 'repeat' | 'ignored';

export async function persistOutcome(
  deps: StageDeps,
  message: PersistMessage,
  traceparent?: string,
): Promise<PersistOutcome> {
  const trace = parseTraceparent(traceparent) ?? { ...newTrace(), traceId: message.traceId };
  const log = deps.logger.child({
    stage: 'persist',
    jobId: message.jobId,
    tenantId: message.tenantId,
    traceId: message.traceId,
  });
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    const stored = await deps.jobs.get(message.tenantId, message.jobId);
    if (!stored) {
      throw new PoisonMessageError(
        `job ${message.jobId} of tenant ${message.tenantId} does not exist`,
        'JobNotFound',
      );
    }
    if (!canTransition(stored.job.status, message.outcome.status)) {
      return handleAlreadyTerminal(deps, stored, message, trace, log);
    }
    const updated = terminalDocument(deps, stored.job, message);
    const written = await deps.jobs.replace(updated, stored.etag);
    if (written === 'stale') continue;
    log.info('job.completed', {
      status: updated.status,
      attempts: message.attempts,
      durationMs: (updated.timings?.persistedAt ?? 0) - message.timings.acceptedAt,
      ...(updated.error ? { reason: updated.error.code } : {}),
    });
    await emitJobEvent(deps, eventOf(updated), trace);
    return 'written';
  }
  throw new Error(
    `job ${message.jobId}: the terminal state lost ${MAX_WRITE_ATTEMPTS} ETag races; retrying the message`,
  );
}

/**
 * The message is a repeat (at-least-once delivery) or lost a race with a cancel. A repeat of the outcome
 * we wrote re-sends the event, in case the first send never happened; duplicate detection drops it
 * otherwise (the same subscriber check applies: a repeat sends what the first one skipped only if an
 * endpoint appeared in between, which is then right). Any other terminal state wins and this outcome is
 * dropped.
 */
async function handleAlreadyTerminal(
  deps: StageDeps,
  stored: StoredJob,
  message: PersistMessage,
  trace: TraceContext,
  log: StageDeps['logger'],
): Promise<PersistOutcome> {
  if (stored.job.status === message.outcome.status) {
    await emitJobEvent(deps, eventOf(stored.job), trace);
    return 'repeat';
  }
  log.info('job.outcome_ignored', { status: stored.job.status, outcome: message.outcome.status });
  return 'ignored';
}

function terminalDocument(deps: StageDeps, job: JobDocument, message: PersistMessage): JobDocument {
  const now = deps.clock();
  const at = new Date(now).toISOString();
  const { outcome } = message;
  return {
    ...job,
    status: outcome.status,
    updatedAt: at,
    completedAt: at,
    attempts: message.attempts,
    ...(outcome.status === 'succeeded' ? { result: outcome.result, usage: outcome.usage } : {}),
    ...(outcome.status === 'failed'
      ? { error: outcome.error, ...(outcome.usage ? { usage: outcome.usage } : {}) }
      : {}),
    timings: { ...message.timings, persistedAt: now },
    ttl: retentionOf(job, deps.settings.retentionSeconds),
  };
}

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
