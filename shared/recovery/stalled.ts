/**
 * Jobs that stopped moving. A job is written when it is accepted and when it ends, nothing in between
 * (the happy path's two writes), so a job still `queued` made no recorded progress since its stages
 * could start: its acceptance, or the end of its hold, which is `deadlineAt - deadlineMs`. Two steps,
 * each one bounded cross-partition query on the indexed `status` and `deadlineAt` (JobStore.listStalled):
 *
 * 1. Re-drive: a job queued for longer than its stages allow (`allowanceMs` past that start) has most
 *    likely lost its message (purged with a dead letter, dropped by a bug; Service Bus cannot be asked
 *    for a message by id). It is sent once more to invoke, its only stage the job document can vouch
 *    for, as one last attempt (`attempt` = maxAttempts - 1: whatever the lost message had spent, the
 *    job never gets more model calls than its budget). The message id is derived from the job, the
 *    stage and the attempt, and a job is only picked while its start lies in a window no longer than
 *    the queues' duplicate-detection window: every run in that window sends the same id, and duplicate
 *    detection keeps one. If the message was not lost after all, the copy is harmless: its acceptance is
 *    long past, so invoke reads the job first and does nothing once it has ended, and the terminal write
 *    is conditional, so one outcome wins. It is not marked redriven: that makes invoke wait out a model
 *    call an earlier delivery might still be making, and none can be, this long after.
 * 2. End: a job still `queued` `graceMs` past its deadline has no stage left that will move it (invoke
 *    retries only until the deadline); it ends `failed` with code `stalled`, its event delivered.
 *
 * A dead-lettered message is caught sooner, by dead-letters.ts.
 */
import type { JobDocument } from '../jobs/job.js';
import type { JobRequest } from '../jobs/job-request.js';
import { stageMessageId } from '../jobs/ids.js';
import type { StageDeps } from '../pipeline/deps.js';
import { invokeMessage } from '../pipeline/outbound.js';
import { errorFields } from '../telemetry/logger.js';
import { newTrace } from '../telemetry/trace-context.js';
import { endQueuedJob } from './end-job.js';

export interface StalledSettings {
  /** How long past its deadline a queued job may still have a message in flight. */
  readonly graceMs: number;
  /** Jobs ended per run at most. */
  readonly batch: number;
}

export interface RedriveSettings {
  /** How long after its stages could start a queued job is taken for one whose message is gone. */
  readonly allowanceMs: number;
  /** Jobs re-driven per run at most. */
  readonly batch: number;
}

/** Margin between the pick window and the duplicate-detection window: runs start late, clocks drift. */
const WINDOW_MARGIN_MS = 60_000;

export async function redriveStalledJobs(deps: StageDeps, settings: RedriveSettings): Promise<number> {
  const windowMs = Math.max(WINDOW_MARGIN_MS, deps.settings.duplicateWindowMs - WINDOW_MARGIN_MS);
  // A job's start is deadlineAt - deadlineMs: started before now - allowance, and not before the window.
  const before = deps.clock() - settings.allowanceMs + deps.settings.deadlineMs;
  const candidates = await deps.jobs.listStalled(before, settings.batch, before - windowMs);
  let redriven = 0;
  for (const { tenantId, id } of candidates) {
    const stored = await deps.jobs.get(tenantId, id);
    if (stored?.job.status !== 'queued') continue;
    try {
      await deps.publisher.send(
        stalledRedrive(stored.job, await deps.jobs.requestOf(stored.job), deps.settings),
      );
    } catch (error) {
      // One job whose request cannot be read back (its body in Blob Storage) or sent must not hold the
      // others; it is tried again next run, and ends `stalled` past its deadline if it never goes.
      deps.logger.error('job.stalled_redrive_failed', { jobId: id, tenantId, ...errorFields(error) });
      continue;
    }
    redriven += 1;
    deps.logger.warn('job.stalled_redriven', {
      jobId: id,
      tenantId,
      stage: 'invoke',
      createdAt: stored.job.createdAt,
      deadlineAt: stored.job.deadlineAt,
    });
  }
  return redriven;
}

/** The job's invoke message again, as its last attempt, under an id that repeats per job and attempt. */
export function stalledRedrive(job: JobDocument, request: JobRequest, settings: StageDeps['settings']) {
  const attempt = Math.max(0, settings.maxAttempts - 1);
  const acceptedAt = Date.parse(job.createdAt);
  const message = invokeMessage(
    {
      kind: 'invoke',
      jobId: job.id,
      tenantId: job.tenantId,
      metadata: job.metadata,
      ...(job.webhookEndpointId ? { webhookEndpointId: job.webhookEndpointId } : {}),
      traceId: job.traceId,
      timings: { acceptedAt },
      deadlineAt: job.deadlineAt ?? acceptedAt + settings.deadlineMs,
      ...(job.expiresAt !== undefined ? { expiresAt: job.expiresAt } : {}),
      ...(job.retentionSeconds !== undefined ? { retentionSeconds: job.retentionSeconds } : {}),
      attempt,
      hop: 0,
      request,
    },
    // The job's own trace, so the re-drive shows up with the rest of it.
    { ...newTrace(), traceId: job.traceId },
  );
  return { ...message, messageId: `${stageMessageId(job.id, 'invoke', attempt)}:stalled` };
}

export async function endStalledJobs(deps: StageDeps, settings: StalledSettings): Promise<number> {
  const stalled = await deps.jobs.listStalled(deps.clock() - settings.graceMs, settings.batch);
  let ended = 0;
  for (const { tenantId, id } of stalled) {
    const stored = await deps.jobs.get(tenantId, id);
    if (!stored) continue;
    const result = await endQueuedJob(deps, stored, {
      code: 'stalled',
      message: 'The job made no progress before its deadline; it was ended by reconciliation.',
    });
    if (result === 'ended') {
      ended += 1;
      deps.logger.error('job.stalled', { jobId: id, tenantId, deadlineAt: stored.job.deadlineAt });
    }
  }
  return ended;
}
