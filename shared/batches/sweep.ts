/**
 * The batch sweep (functions/timer/batch-sweep.ts, every minute): every open batch moved along
 * (shared/batches/advance.ts). One cross-partition query over the small `batches` container per run,
 * then per open batch: a point read and, while it runs, two COUNT queries; its fan-out and its
 * finalization when their time comes. A batch that fails a step is logged and tried again next run.
 */
import { errorFields } from '../telemetry/logger.js';
import { advanceBatch } from './advance.js';
import type { BatchDeps } from './deps.js';

export interface SweepResult {
  readonly open: number;
  readonly failed: number;
}

export async function sweepBatches(
  deps: BatchDeps,
  options: { readonly limit: number },
): Promise<SweepResult> {
  const open = await deps.batches.listOpen(options.limit);
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
