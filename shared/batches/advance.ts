/**
 * Moves one batch along its statuses, from wherever it is (the sweep calls this for every open batch;
 * every step is safe to repeat after a crash):
 *
 *   validating -> failed                      (the file as a whole is refused: errors.data[])
 *   validating -> in_progress                 (lines counted; the fan-out makes the valid ones jobs)
 *   in_progress -> finalizing -> completed    (no line job is queued any more)
 *   in_progress -> expired                    (the window closed first: unfinished lines batch_expired)
 *   cancelling -> cancelled                   (queued line jobs cancelled; finished ones kept)
 *
 * Progress costs no write per line: `request_counts` is counted from the jobs (two index-served COUNTs
 * in the tenant's partition) once per sweep of an active batch, and written only when it changed.
 */
import { isFinished, type BatchDocument, type StoredBatch } from './batch.js';
import type { BatchDeps } from './deps.js';
import { fanOut } from './fanout.js';
import { finalize } from './finalize.js';
import { validateInput } from './validate.js';

/** `waitUntilMs`: until when the fan-out may wait for the tenant's room (default: admissionWaitMs from now). */
export async function advanceBatch(
  deps: BatchDeps,
  tenantId: string,
  id: string,
  waitUntilMs = deps.clock() + deps.settings.admissionWaitMs,
): Promise<StoredBatch | undefined> {
  let stored = await deps.batches.get(tenantId, id);
  if (stored?.batch.status === 'validating') stored = await validate(deps, stored);
  if (stored?.batch.status === 'in_progress') stored = await progress(deps, stored, waitUntilMs);
  if (stored?.batch.status === 'finalizing') stored = await finalize(deps, stored, 'completed');
  if (stored?.batch.status === 'cancelling') stored = await cancelLines(deps, stored);
  return stored;
}

async function validate(deps: BatchDeps, stored: StoredBatch): Promise<StoredBatch | undefined> {
  const { batch } = stored;
  const result = await validateInput(deps, batch.tenantId, batch.inputFileId, batch.endpoint);
  const at = Math.floor(deps.clock() / 1000);
  const next: BatchDocument = result.ok
    ? {
        ...batch,
        status: 'in_progress',
        inProgressAt: at,
        validLines: result.valid,
        acceptedThrough: 0,
        requestCounts: { total: result.total, completed: 0, failed: result.invalid },
      }
    : {
        ...batch,
        status: 'failed',
        failedAt: at,
        errors: result.errors,
        ttl: deps.settings.retentionSeconds,
      };
  if (!result.ok) await deps.emitEvent(next);
  // Stale: cancelled while it was validated; the next step reads the batch as it is now.
  const written = await deps.batches.replace(next, stored.etag);
  if (written !== 'stale') return written;
  return deps.batches.get(batch.tenantId, batch.id);
}

async function progress(
  deps: BatchDeps,
  stored: StoredBatch,
  waitUntilMs: number,
): Promise<StoredBatch | undefined> {
  const { batch } = stored;
  if (deps.clock() >= batch.expiresAtMs) return finalize(deps, stored, 'expired');
  // Lines not yet jobs (the tenant had no room for them: admission.ts) keep the batch from finishing.
  let accepting = false;
  if ((batch.acceptedThrough ?? 0) < batch.requestCounts.total) {
    const outcome = await fanOut(deps, stored, waitUntilMs);
    const fresh = await deps.batches.get(batch.tenantId, batch.id);
    if (outcome === 'stopped' || !fresh || fresh.batch.status !== 'in_progress') return fresh;
    stored = fresh;
    accepting = outcome === 'paused';
  }
  const current = stored.batch;
  const [queued, succeeded] = await Promise.all([
    deps.lineJobs.count(current.tenantId, current.id, 'queued'),
    deps.lineJobs.count(current.tenantId, current.id, 'succeeded'),
  ]);
  const invalid = current.requestCounts.total - (current.validLines ?? 0);
  const finished = (current.validLines ?? 0) - queued;
  const counts = {
    total: current.requestCounts.total,
    completed: succeeded,
    failed: invalid + finished - succeeded,
  };
  const done = queued === 0 && !accepting;
  const changed =
    done ||
    counts.completed !== current.requestCounts.completed ||
    counts.failed !== current.requestCounts.failed;
  if (!changed) return stored;
  const next: BatchDocument = {
    ...current,
    requestCounts: counts,
    ...(done ? { status: 'finalizing' as const, finalizingAt: Math.floor(deps.clock() / 1000) } : {}),
  };
  const written = await deps.batches.replace(next, stored.etag);
  return written === 'stale' ? deps.batches.get(current.tenantId, current.id) : written;
}

/** Cancel: the line jobs still queued are stopped with the existing job cancel, then the batch is finalized. */
async function cancelLines(deps: BatchDeps, stored: StoredBatch): Promise<StoredBatch | undefined> {
  const { batch } = stored;
  let cancelled = 0;
  for await (const job of deps.lineJobs.scan(batch.tenantId, batch.id, ['queued'])) {
    await deps.cancelJob(batch.tenantId, job.id);
    cancelled += 1;
  }
  deps.logger.info('batch.lines_cancelled', { batchId: batch.id, tenantId: batch.tenantId, cancelled });
  const fresh = await deps.batches.get(batch.tenantId, batch.id);
  if (!fresh || isFinished(fresh.batch.status)) return fresh;
  return finalize(deps, fresh, 'cancelled');
}
