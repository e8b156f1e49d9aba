/**
 * The batch sweep (functions/timer/batch-sweep.ts, every minute): every open batch moved along
 * (shared/batches/advance.ts), up to `limit` a run shared out between tenants. One cross-partition
 * query over the small `batches` container per run, then per open batch: a point read and, while it runs,
 * two COUNT queries; its fan-out and its finalization when their time comes. A batch that fails a step is
 * logged and tried again next run.
 */
import { errorFields } from '../telemetry/logger.js';
import { advanceBatch } from './advance.js';
import type { BatchDeps } from './deps.js';

export interface SweepResult {
  readonly open: number;
  readonly failed: number;
}

/** Open batches looked at per batch a run takes. */
const CANDIDATES_PER_SLOT = 10;

/**
 * Up to `limit` of the open batches (oldest first), taken in turns between tenants: a tenant with many
 * open batches cannot keep another tenant's out of every run (the oldest `limit` alone would be its own).
 */
export function fairShare<T extends { readonly tenantId: string }>(open: readonly T[], limit: number): T[] {
  const byTenant = new Map<string, T[]>();
  for (const batch of open) {
    const queue = byTenant.get(batch.tenantId);
    if (queue) queue.push(batch);
    else byTenant.set(batch.tenantId, [batch]);
  }
  const taken: T[] = [];
  for (let round = 0; taken.length < limit && taken.length < open.length; round += 1)
    for (const queue of byTenant.values()) {
      const next = queue[round];
      if (next && taken.length < limit) taken.push(next);
    }
  return taken;
}

export async function sweepBatches(
  deps: BatchDeps,
  options: { readonly limit: number },
): Promise<SweepResult> {
  // Ids only, so looking past `limit` is cheap: the run's batches are then shared out between tenants.
  const open = fairShare(await deps.batches.listOpen(options.limit * CANDIDATES_PER_SLOT), options.limit);
  // One wait budget for the whole run: a tenant without room for its lines delays the batches after it
  // by at most this much, then they are taken without waiting (shared/batches/admission.ts).
  const waitUntilMs = deps.clock() + deps.settings.admissionWaitMs;
  let failed = 0;
  for (const { tenantId, id } of open) {
    try {
      await advanceBatch(deps, tenantId, id, waitUntilMs);
    } catch (error) {
      failed += 1;
      deps.logger.error('batch.step_failed', { batchId: id, tenantId, ...errorFields(error) });
    }
  }
  return { open: open.length, failed };
}
