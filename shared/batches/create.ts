/**
 * `batches.create`: the request checked, the input file checked to be the tenant's own `batch` file, and
 * the batch document created in `validating`; the sweep (shared/batches/sweep.ts) does the rest. Nothing
 * per line happens here, so the answer is quick whatever the file's size.
 *
 * Idempotent: with an Idempotency-Key the batch id derives from it (a retry answers the same batch; the
 * same key with another request is a 409). Without one, the id derives from the request itself and the
 * ten-minute slot it arrived in, and the previous slot's batch is looked up first: a retry of the same
 * create within ten minutes (the SDK's own retries, a timeout) answers the batch already created instead
 * of running every line twice, while the same file can still be run again later on purpose.
 */
import { ConflictError, ValidationError } from '../errors/index.js';
import { requestHashOf } from '../jobs/ids.js';
import { parseOrThrow } from '../pipeline/validation.js';
import { CreateBatchSchema, batchIdFor, windowSecondsOf, type BatchDocument } from './batch.js';
import type { BatchDeps } from './deps.js';

const SLOT_MS = 10 * 60_000;

export interface CreateInput {
  readonly tenantId: string;
  readonly idempotencyKey?: string;
  readonly body: unknown;
  readonly traceId: string;
}

export async function createBatch(
  deps: BatchDeps,
  input: CreateInput,
): Promise<{ readonly batch: BatchDocument; readonly created: boolean }> {
  const request = parseOrThrow(CreateBatchSchema, input.body, 'The batch request');
  const windowSeconds = windowSecondsOf(request.completion_window);
  const { minWindowSeconds, maxWindowSeconds } = deps.settings;
  if (windowSeconds === undefined || windowSeconds < minWindowSeconds || windowSeconds > maxWindowSeconds) {
    const message =
      minWindowSeconds === maxWindowSeconds
        ? 'must be 24h'
        : `must be between ${minWindowSeconds}s and ${maxWindowSeconds}s`;
    throw new ValidationError(`The completion_window is not supported: ${message}.`, [
      { field: 'completion_window', message },
    ]);
  }
  const file = await deps.files.get(input.tenantId, request.input_file_id);
  if (!file || file.purpose !== 'batch') {
    const message = file
      ? `file ${file.id} has purpose ${file.purpose}, not batch`
      : `no file ${request.input_file_id}`;
    throw new ValidationError(`The input_file_id is invalid: ${message}.`, [
      { field: 'input_file_id', message },
    ]);
  }
  const requestHash = requestHashOf(request);
  const now = deps.clock();
  if (input.idempotencyKey === undefined) {
    const previous = await deps.batches.get(
      input.tenantId,
      batchIdFor(input.tenantId, autoKey(requestHash, now - SLOT_MS)),
    );
    if (previous && now - previous.batch.createdAt * 1000 < SLOT_MS)
      return { batch: previous.batch, created: false };
  }
  const idempotencyKey = input.idempotencyKey ?? autoKey(requestHash, now);
  const batch: BatchDocument = {
    id: batchIdFor(input.tenantId, idempotencyKey),
    tenantId: input.tenantId,
    kind: 'batch',
    status: 'validating',
    idempotencyKey,
    requestHash,
    inputFileId: request.input_file_id,
    endpoint: request.endpoint,
    completionWindow: request.completion_window,
    metadata: request.metadata ?? null,
    traceId: input.traceId,
    createdAt: Math.floor(now / 1000),
    expiresAtMs: now + windowSeconds * 1000,
    requestCounts: { total: 0, completed: 0, failed: 0 },
    outputFileId: null,
    errorFileId: null,
    errors: null,
  };
  const { created, stored } = await deps.batches.create(batch);
  if (!created && stored.batch.requestHash !== requestHash)
    throw new ConflictError('This Idempotency-Key was already used for a different batch; use a new key.');
  if (created)
    deps.logger.info('batch.created', {
      batchId: batch.id,
      tenantId: batch.tenantId,
      fileId: file.id,
      lines: file.lines,
    });
  return { batch: stored.batch, created };
}

function autoKey(requestHash: string, at: number): string {
  return `auto:${requestHash}:${Math.floor(at / SLOT_MS)}`;
}
