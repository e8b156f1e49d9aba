/**
 * The `reconcile` timer (every minute): dead letters of the job stages tied back to their jobs, then
 * stalled jobs re-driven once and, past their deadline, ended, then (once a day per instance)
 * yesterday's usage rolled up per tenant. Each run is bounded (a batch per queue, a batch of stalled
 * jobs each way), so a backlog is worked off over several runs instead of one long one; overlapping
 * runs are safe (every ending is a conditional write, every settlement a lock, every re-drive a
 * message id that duplicate detection drops when repeated).
 */
import type { InvocationContext } from '@azure/functions';
import { recoverDeadLetters } from '../../shared/recovery/dead-letters.js';
import { endStalledJobs, redriveStalledJobs } from '../../shared/recovery/stalled.js';
import { dayOf, rollUpDay } from '../../shared/tenancy/usage-rollup.js';
import { getServices } from '../services.js';

/** How long past its deadline a queued job may still have a message in flight (a lock, a retry). */
const STALLED_GRACE_MS = 15 * 60_000;
/**
 * How long a queued job may go without finishing before its message is taken for lost and the job is
 * re-driven (shared/recovery/stalled.ts). The invoke stage's own retries (8 attempts, backoff capped at
 * 5 minutes, about 2 minutes in all with the defaults) and the other stages fit well within it; a job
 * paced by quota for longer gets a redundant copy, which reads the job before calling the model.
 */
const STAGE_ALLOWANCE_MS = 30 * 60_000;

/** The last day this instance rolled up: one check per tenant per day, not per run. */
let rolledUp: string | undefined;

export async function reconcile(_context: InvocationContext): Promise<void> {
  const services = await getServices();
  const deps = services.events;
  const deadLetters = await recoverDeadLetters(
    { ...deps, deadLetters: services.deadLetters },
    { maxRedrives: 1, batch: 100 },
  );
  const redriven = await redriveStalledJobs(deps, { allowanceMs: STAGE_ALLOWANCE_MS, batch: 100 });
  const stalled = await endStalledJobs(deps, { graceMs: STALLED_GRACE_MS, batch: 100 });
  // Yesterday's usage, once its jobs can no longer change it (a job finishing after midnight counts
  // for today); a stalled job ended just now belongs to today's rollup.
  const yesterday = dayOf(Date.now() - 86_400_000);
  let rollups = 0;
  if (rolledUp !== yesterday) {
    rollups = await rollUpDay(
      {
        rollups: services.usageRollups,
        tenantIds: async () => (await services.security.tenants.list()).map((t) => t.id),
        clock: Date.now,
      },
      yesterday,
    );
    rolledUp = yesterday;
  }
  const busy =
    deadLetters.redriven +
    deadLetters.ended +
    deadLetters.removed +
    deadLetters.kept +
    redriven +
    stalled +
    rollups;
  services.logger[busy > 0 ? 'info' : 'debug']('reconcile.finished', {
    ...deadLetters,
    stalledRedriven: redriven,
    stalled,
    rollups,
  });
}
