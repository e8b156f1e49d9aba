/**
 * Finalization: the batch's output and error files assembled in Blob Storage (purpose `batch_output`,
 * readable through the Files API) from its jobs, read back page by page by `batch.id`, and from a
 * re-read of the input for the lines that never became jobs (invalid, or not reached before the batch
 * was cancelled or expired). Then the final status and the `batch.*` webhook event.
 *
 * Repeatable: the files' ids derive from the batch id (a second run overwrites them), the event's
 * webhook id from the batch and type; the final state is written last, so a crash anywhere before it
 * leaves the batch to the next sweep, which finalizes again.
 *
 * Cost: one query page per 200 jobs per file (two scans: succeeded, then the rest), one read of the
 * input, the files' blocks, one write of the batch document.
 */
import type { JobStatus } from '../jobs/job.js';
import { outputFileIdOf, type BatchDocument, type StoredBatch } from './batch.js';
import type { BatchDeps } from './deps.js';
import { readLines } from './line-reader.js';
import { checkLine } from './lines.js';
import { errorLine, invalidLine, outputLine } from './output-lines.js';
import { parse } from './validate.js';

export type Ending = 'completed' | 'expired' | 'cancelled';

/** Lines are gathered into chunks of about this size before they go to the store's blocks. */
const CHUNK_BYTES = 64 * 1024;

export async function finalize(deps: BatchDeps, stored: StoredBatch, ending: Ending): Promise<StoredBatch> {
  const { batch } = stored;
  const ended = ending === 'completed' ? undefined : ending;
  const output = await writeFile(deps, batch, 'output', outputLines(deps, batch));
  const errors = await writeFile(deps, batch, 'error', errorLines(deps, batch, ended));
  const at = Math.floor(deps.clock() / 1000);
  const final: BatchDocument = {
    ...batch,
    status: ending,
    outputFileId: output?.id ?? null,
    errorFileId: errors?.id ?? null,
    requestCounts: {
      // A batch cancelled while it was validated has no count yet: its lines are all in the error file.
      total: Math.max(batch.requestCounts.total, (output?.lines ?? 0) + (errors?.lines ?? 0)),
      completed: output?.lines ?? 0,
      failed: errors?.lines ?? 0,
    },
    ...(ending === 'completed'
      ? { completedAt: at }
      : ending === 'expired'
        ? { expiredAt: at }
        : { cancelledAt: at }),
    ttl: deps.settings.retentionSeconds,
  };
  // The event first: planning it is idempotent, and a crash before the write below repeats both.
  await deps.emitEvent(final);
  const written = await deps.batches.replace(final, stored.etag);
  if (written === 'stale') throw new Error(`batch ${batch.id} changed while it was finalized`);
  deps.logger.info('batch.finished', {
    batchId: batch.id,
    tenantId: batch.tenantId,
    status: ending,
    completed: final.requestCounts.completed,
    failed: final.requestCounts.failed,
  });
  return written;
}

async function* outputLines(deps: BatchDeps, batch: BatchDocument): AsyncGenerator<string> {
  for await (const job of deps.lineJobs.scan(batch.tenantId, batch.id, ['succeeded'])) yield outputLine(job);
}

async function* errorLines(
  deps: BatchDeps,
  batch: BatchDocument,
  ended: 'expired' | 'cancelled' | undefined,
): AsyncGenerator<string> {
  const statuses: JobStatus[] = ['failed', 'cancelled', 'expired', ...(ended ? (['queued'] as const) : [])];
  for await (const job of deps.lineJobs.scan(batch.tenantId, batch.id, statuses)) yield errorLine(job, ended);
  yield* unacceptedLines(deps, batch, ended);
}

/** Lines of the input that are not jobs: the invalid ones, and valid ones past the fan-out's checkpoint. */
async function* unacceptedLines(
  deps: BatchDeps,
  batch: BatchDocument,
  ended: 'expired' | 'cancelled' | undefined,
): AsyncGenerator<string> {
  const accepted = batch.acceptedThrough ?? 0;
  const content = await deps.files.content(batch.tenantId, batch.inputFileId);
  if (!content) return;
  const limits = (await deps.admission.tenant(batch.tenantId))?.limits;
  for await (const line of readLines(content.stream, deps.settings.maxLineBytes)) {
    const value = parse(line.text);
    const verdict = checkLine(value, batch.endpoint, deps.knownModel, limits);
    if (!verdict.ok) yield invalidLine(batch.id, line.number, verdict.customId, verdict.error);
    else if (line.number > accepted && ended)
      yield invalidLine(batch.id, line.number, verdict.customId, {
        code: ended === 'expired' ? 'batch_expired' : 'batch_cancelled',
        message:
          ended === 'expired'
            ? 'This request could not be executed before the completion window expired.'
            : 'The batch was cancelled before this request ran.',
      });
  }
}

/** Streams `lines` into a `batch_output` file; none is written when there are no lines. */
async function writeFile(
  deps: BatchDeps,
  batch: BatchDocument,
  which: 'output' | 'error',
  lines: AsyncGenerator<string>,
): Promise<{ readonly id: string; readonly lines: number } | undefined> {
  const first = await lines.next();
  if (first.done) return undefined;
  let count = 0;
  let bytes = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let pending: string[] = [];
    let pendingBytes = 0;
    const take = (line: string) => {
      count += 1;
      pending.push(line, '\n');
      pendingBytes += line.length + 1;
    };
    take(first.value as string);
    for await (const line of lines) {
      take(line);
      if (pendingBytes >= CHUNK_BYTES) {
        const chunk = Buffer.from(pending.join(''));
        bytes += chunk.byteLength;
        pending = [];
        pendingBytes = 0;
        yield chunk;
      }
    }
    if (pending.length > 0) {
      const chunk = Buffer.from(pending.join(''));
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  const id = outputFileIdOf(batch.id, which);
  await deps.files.create(
    {
      id,
      tenantId: batch.tenantId,
      purpose: 'batch_output',
      filename: `${batch.id}_${which}.jsonl`,
      createdAt: Math.floor(deps.clock() / 1000),
    },
    chunks(),
    () => Promise.resolve({ bytes, lines: count }),
  );
  return { id, lines: count };
}
