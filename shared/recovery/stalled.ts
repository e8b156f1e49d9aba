/**
 * Jobs still `queued` well past their deadline have stalled: the invoke stage retries a job only until
 * its deadline, so past it (plus a grace for messages in flight) no stage will move it any more. Each is
 * ended `failed` with code `stalled`, its event delivered. Found by one bounded cross-partition query on
 * status and deadline (JobStore.listStalled); a dead-lettered message is caught sooner, by
 * dead-letters.ts.
 */
import type { StageDeps } from '../pipeline/deps.js';
import { endQueuedJob } from './end-job.js';

export interface StalledSettings {
  /** How long past its deadline a queued job may still have a message in flight. */
  readonly graceMs: number;
  /** Jobs ended per run at most. */
  readonly batch: number;
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
