/**
 * Reading, listing and cancelling a tenant's batches. Another tenant's batch is "not found", never
 * "forbidden", so ids do not reveal what exists (the store reads inside the caller's partition only).
 */
import { ConflictError, NotFoundError } from '../errors/index.js';
import { isFinished, type BatchDocument } from './batch.js';
import type { BatchDeps } from './deps.js';
import type { BatchPage } from './ports.js';

export async function getBatch(
  deps: Pick<BatchDeps, 'batches'>,
  tenantId: string,
  id: string,
): Promise<BatchDocument> {
  const stored = await deps.batches.get(tenantId, id);
  if (!stored) throw notFound(id);
  return stored.batch;
}

/** OpenAI's cursor paging: newest first, `after` the last id of the previous page. */
export async function listBatches(
  deps: Pick<BatchDeps, 'batches'>,
  tenantId: string,
  query: { readonly limit: number; readonly after?: string },
): Promise<BatchPage> {
  const after = query.after === undefined ? undefined : await getBatch(deps, tenantId, query.after);
  return deps.batches.list(tenantId, { limit: query.limit, ...(after ? { after } : {}) });
}

/**
 * Moves the batch to `cancelling`; the sweep then stops its queued lines and finalizes it `cancelled`
 * (finished lines are kept in the output). Cancelling a batch already cancelling or cancelled answers it
 * as it is; one that has finished otherwise is a 409.
 */
export async function cancelBatch(
  deps: Pick<BatchDeps, 'batches' | 'clock' | 'logger'>,
  tenantId: string,
  id: string,
): Promise<BatchDocument> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const stored = await deps.batches.get(tenantId, id);
    if (!stored) throw notFound(id);
    const { batch } = stored;
    if (batch.status === 'cancelling' || batch.status === 'cancelled') return batch;
    if (isFinished(batch.status) || batch.status === 'finalizing')
      throw new ConflictError(`Batch ${id} is already ${batch.status} and cannot be cancelled.`);
    const written = await deps.batches.replace(
      { ...batch, status: 'cancelling', cancellingAt: Math.floor(deps.clock() / 1000) },
      stored.etag,
    );
    if (written === 'stale') continue;
    deps.logger.info('batch.cancelling', { batchId: id, tenantId });
    return written.batch;
  }
  throw new ConflictError(`Batch ${id} changed while it was being cancelled; try again.`);
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`No batch ${id}.`);
}
