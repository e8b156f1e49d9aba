/**
 * Persist: write the terminal state in one Cosmos DB request, a patch conditioned on the job still being
 * `queued` (JobStore.completeIfOpen), and emit the job's event to `deliver` (skipped when nobody is
 * subscribed to it: shared/pipeline/emit-event.ts). The patch answers with the whole written document, so
 * the happy path reads nothing. Stale or repeated messages cannot overwrite newer state: a job already
 * terminal (a repeat, or a cancel that won) fails the condition, and one point read tells which it was.
 */
import { PoisonMessageError } from '../errors/index.js';
import { eventOf } from '../jobs/events.js';
import { canTransition, retentionOf, type StoredJob } from '../jobs/job.js';
import type { PersistMessage } from '../messaging/stage-messages.js';
import type { TerminalFields } from '../jobs/job-store.js';
import { parseTraceparent, newTrace, type TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { emitJobEvent } from './emit-event.js';

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
  let ttl = message.retentionSeconds;
  if (ttl === undefined) {
    // The message does not say the job's retention (the job has none recorded, or the message was sent
    // before messages carried it): read it, so the TTL is exactly retentionOf(job) as it always was.
    const stored = await readJob(deps, message);
    if (!canTransition(stored.job.status, message.outcome.status)) {
      return handleAlreadyTerminal(deps, stored, message, trace, log);
    }
    ttl = retentionOf(stored.job, deps.settings.retentionSeconds);
  }
  const written = await deps.jobs.completeIfOpen(
    message.tenantId,
    message.jobId,
    terminalFields(deps, message, ttl),
  );
  if (written === undefined) throw jobNotFound(message);
  if (written === 'not-open') {
    // The condition failed: the job was no longer queued. A terminal state is final, so one point read
    // sees the state that won (ours, on a repeat; or a cancel's).
    const stored = await readJob(deps, message);
    if (canTransition(stored.job.status, message.outcome.status)) {
      // Queued again only if the job expired and was created anew in between: let the message retry.
      throw new Error(
        `job ${message.jobId}: the terminal write was refused while the job is queued; retrying the message`,
      );
    }
    return handleAlreadyTerminal(deps, stored, message, trace, log);
  }
  const updated = written.job;
  log.info('job.completed', {
    status: updated.status,
    attempts: message.attempts,
    durationMs: (updated.timings?.persistedAt ?? 0) - message.timings.acceptedAt,
    ...(updated.error ? { reason: updated.error.code } : {}),
  });
  await emitJobEvent(deps, eventOf(updated), trace);
  return 'written';
}

async function readJob(deps: StageDeps, message: PersistMessage): Promise<StoredJob> {
  const stored = await deps.jobs.get(message.tenantId, message.jobId);
  if (!stored) throw jobNotFound(message);
  return stored;
}

function jobNotFound(message: PersistMessage): PoisonMessageError {
  return new PoisonMessageError(
    `job ${message.jobId} of tenant ${message.tenantId} does not exist`,
    'JobNotFound',
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
  await recordDiscardedUsage(deps, stored, message, log);
  return 'ignored';
}

/**
 * A model call that finished after its job was cancelled was still paid for: its tokens go on the
 * cancelled job's usage (its result stays discarded), so usage totals count every token spent. One
 * ETag-guarded write, only in this race; a job that already records usage keeps it.
 */
async function recordDiscardedUsage(
  deps: StageDeps,
  stored: StoredJob,
  message: PersistMessage,
  log: StageDeps['logger'],
): Promise<void> {
  const usage = message.outcome.usage;
  // A job that records tokens keeps them; one that only flags a call nobody saw gets this one's too.
  const recorded = stored.job.usage;
  if (stored.job.status !== 'cancelled' || !usage || (recorded && recorded.totalTokens > 0)) return;
  const merged = recorded?.unseenCalls ? { ...usage, unseenCalls: recorded.unseenCalls } : usage;
  const written = await deps.jobs.replace({ ...stored.job, usage: merged }, stored.etag);
  log.info('job.discarded_usage_recorded', {
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    written: written !== 'stale',
  });
}

/**
 * What the terminal transition sets: the same fields the whole-document replace used to write, so the
 * stored job is the same (a success has no `error`, a failure a `usage` only when tokens were spent).
 */
function terminalFields(deps: StageDeps, message: PersistMessage, ttl: number): TerminalFields {
  const now = deps.clock();
  const at = new Date(now).toISOString();
  const { outcome } = message;
  return {
    status: outcome.status,
    updatedAt: at,
    completedAt: at,
    attempts: message.attempts,
    ...(outcome.status === 'succeeded' ? { result: outcome.result, usage: outcome.usage } : {}),
    ...(outcome.status === 'failed' || outcome.status === 'expired'
      ? { error: outcome.error, ...(outcome.usage ? { usage: outcome.usage } : {}) }
      : {}),
    timings: { ...message.timings, persistedAt: now },
    ttl,
  };
}
