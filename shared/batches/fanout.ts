/**
 * Fan-out, the second pass over the input file (status `in_progress`): each valid line becomes a job of
 * the tenant, at bounded cost. Lines are taken in chunks (BatchSettings.chunkLines, or fewer when their
 * bytes reach chunkBytes); each chunk is one bulk create of its jobs (shared/cosmos/batch-line-jobs.ts)
 * and batched sends of their invoke messages, then one checkpoint write of the batch document
 * (`acceptedThrough`). A crash resumes after the last checkpoint.
 *
 * Idempotent per line: the job id derives from the batch id and the custom_id (jobIdFor, as the
 * Idempotency-Key does), so a repeated chunk finds its jobs (`exists`) instead of making new ones, and
 * the invoke message id is the job's, so a re-send within the queue's duplicate-detection window is
 * dropped. A job found existing is re-sent only inside that window (its first send may have been lost);
 * past it, the reconcile timer re-drives a job whose message was lost (shared/recovery/stalled.ts).
 */
import { jobIdFor, requestHashOf } from '../jobs/ids.js';
import type { JobDocument } from '../jobs/job.js';
import type { ChatRequest } from '../jobs/schema.js';
import type { OutboundMessage } from '../messaging/publisher.js';
import { invokeMessage } from '../pipeline/outbound.js';
import { newTrace } from '../telemetry/trace-context.js';
import type { BatchDocument, StoredBatch } from './batch.js';
import type { BatchDeps } from './deps.js';
import { readLines } from './line-reader.js';
import { checkLine } from './lines.js';
import { parse } from './validate.js';
import { roomForLines, type BatchTenant } from './admission.js';
import type { InvokeScheduling } from '../messaging/stage-messages.js';

export interface ValidLine {
  readonly number: number;
  readonly customId: string;
  readonly request: ChatRequest;
}

/** The idempotency key of a line's job: batch id + custom_id, unique within the tenant. */
export function lineKey(batchId: string, customId: string): string {
  return `batch:${batchId}:${customId}`;
}

/**
 * The job a line becomes: queued, its own trace, expiring when the batch's window closes; with the
 * tenant, its retention and `background` priority (shared/batches/admission.ts).
 */
export function lineJob(
  batch: BatchDocument,
  line: ValidLine,
  now: number,
  deadlineMs: number,
  tenant?: BatchTenant,
): LineJob {
  const key = lineKey(batch.id, line.customId);
  const at = new Date(now).toISOString();
  return {
    id: jobIdFor(batch.tenantId, key),
    tenantId: batch.tenantId,
    status: 'queued',
    idempotencyKey: key,
    requestHash: requestHashOf(line.request),
    request: line.request,
    metadata: { batch_id: batch.id, custom_id: line.customId },
    source: 'http',
    traceId: newTrace().traceId,
    createdAt: at,
    updatedAt: at,
    deadlineAt: Math.min(now + deadlineMs, batch.expiresAtMs),
    expiresAt: batch.expiresAtMs,
    batch: { id: batch.id, customId: line.customId },
    ...(tenant ? { retentionSeconds: tenant.retentionSeconds, priority: LINE_PRIORITY } : {}),
  };
}

/** Batch lines are offline work: at the model they yield to the tenant's interactive and standard jobs. */
export const LINE_PRIORITY = 'background';

/** A line's job as fan-out makes it: the request is the line's own (the store may keep it by reference). */
export type LineJob = JobDocument & { readonly request: ChatRequest };

export function lineInvoke(job: LineJob, scheduling?: InvokeScheduling): OutboundMessage {
  return invokeMessage(
    {
      kind: 'invoke',
      jobId: job.id,
      tenantId: job.tenantId,
      metadata: job.metadata,
      traceId: job.traceId,
      timings: { acceptedAt: Date.parse(job.createdAt) },
      deadlineAt: job.deadlineAt ?? Date.parse(job.createdAt),
      ...(job.expiresAt !== undefined ? { expiresAt: job.expiresAt } : {}),
      // Persist sets the TTL from it without reading the job first.
      ...(job.retentionSeconds !== undefined ? { retentionSeconds: job.retentionSeconds } : {}),
      ...(scheduling ? { scheduling } : {}),
      attempt: 0,
      hop: 0,
      request: job.request,
    },
    // The line's own trace: the invoke message's span is a child of it, as accept's is of the request's.
    { traceId: job.traceId, spanId: job.traceId.slice(16), sampled: true },
  );
}

/** `paused`: the tenant has no room for more lines now (admission.ts); the next sweep resumes. */
export type FanoutResult = 'done' | 'stopped' | 'paused';

/**
 * Runs (or resumes) the fan-out of `stored`. Returns `stopped` when the batch left `in_progress` meanwhile
 * (cancelled): the remaining lines are never made into jobs. A chunk is never larger than the room the
 * tenant's jobs in flight leave (roomForLines); without room by `waitUntil`, `paused`.
 */
export async function fanOut(
  deps: BatchDeps,
  stored: StoredBatch,
  waitUntil = deps.clock() + deps.settings.admissionWaitMs,
): Promise<FanoutResult> {
  let current = stored;
  const { tenantId, id } = current.batch;
  const start = current.batch.acceptedThrough ?? 0;
  let room = await roomForLines(deps, tenantId, waitUntil, deps.settings.admissionPollMs);
  if (!('tenant' in room)) return paused(deps, current.batch, room.reason);
  let tenant = room.tenant;
  let left = room.lines;
  const content = await deps.files.content(tenantId, current.batch.inputFileId);
  if (!content) throw new Error(`batch ${id}: input file ${current.batch.inputFileId} is gone`);
  const firstRunAt = current.batch.fanoutStartedAt ?? deps.clock();
  let chunk: ValidLine[] = [];
  let chunkBytes = 0;
  let last = start;
  const flush = async (through: number): Promise<boolean> => {
    await acceptChunk(deps, current.batch, chunk, firstRunAt, tenant);
    left -= chunk.length;
    chunk = [];
    chunkBytes = 0;
    const next = await checkpoint(deps, current, through, firstRunAt);
    if (!next) return false;
    current = next;
    return true;
  };
  for await (const line of readLines(content.stream, deps.settings.maxLineBytes)) {
    last = line.number;
    if (line.number <= start) continue;
    const verdict = checkLine(parse(line.text), current.batch.endpoint, deps.knownModel, tenant.limits);
    if (!verdict.ok) continue;
    if (left <= 0) {
      // Asked only when another line is there to accept (the chunk before it is checkpointed): the end
      // of the file never waits for room. A pause resumes at this line.
      room = await roomForLines(deps, tenantId, waitUntil, deps.settings.admissionPollMs);
      if (!('tenant' in room)) return paused(deps, current.batch, room.reason);
      tenant = room.tenant;
      left = room.lines;
    }
    chunk.push({ number: line.number, customId: verdict.customId, request: verdict.request });
    chunkBytes += line.text?.length ?? 0;
    if (chunk.length >= Math.min(deps.settings.chunkLines, left) || chunkBytes >= deps.settings.chunkBytes) {
      if (!(await flush(line.number))) return 'stopped';
    }
  }
  if (last > start && !(await flush(last))) return 'stopped';
  return 'done';
}

function paused(deps: BatchDeps, batch: BatchDocument, reason: string): FanoutResult {
  deps.logger.info('batch.fanout_paused', {
    batchId: batch.id,
    tenantId: batch.tenantId,
    acceptedThrough: batch.acceptedThrough ?? 0,
    reason,
  });
  return 'paused';
}

async function acceptChunk(
  deps: BatchDeps,
  batch: BatchDocument,
  lines: readonly ValidLine[],
  firstRunAt: number,
  tenant: BatchTenant,
): Promise<void> {
  if (lines.length === 0) return;
  const now = deps.clock();
  const jobs = lines.map((line) => lineJob(batch, line, now, deps.settings.deadlineMs, tenant));
  const outcomes = await deps.lineJobs.createMany(jobs);
  const resendExisting = now - firstRunAt < deps.settings.duplicateWindowMs;
  const messages = jobs
    .filter((_, i) => outcomes[i] === 'created' || resendExisting)
    .map((job) => lineInvoke(job, { ...tenant.scheduling(job.request.model), priority: LINE_PRIORITY }));
  await deps.sender.sendAll(messages);
  deps.logger.info('batch.lines_accepted', {
    batchId: batch.id,
    tenantId: batch.tenantId,
    lines: jobs.length,
    created: outcomes.filter((o) => o === 'created').length,
    sent: messages.length,
  });
}

/**
 * Records progress, also when the batch left `in_progress` meanwhile (a cancel): the jobs of this chunk
 * exist, and finalization reports the lines past the checkpoint as never run. Undefined then: stop.
 */
async function checkpoint(
  deps: BatchDeps,
  stored: StoredBatch,
  through: number,
  firstRunAt: number,
): Promise<StoredBatch | undefined> {
  let current = stored;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const written = await deps.batches.replace(
      { ...current.batch, acceptedThrough: through, fanoutStartedAt: firstRunAt },
      current.etag,
    );
    if (written !== 'stale') return written.batch.status === 'in_progress' ? written : undefined;
    const fresh = await deps.batches.get(current.batch.tenantId, current.batch.id);
    if (!fresh) return undefined;
    current = fresh;
  }
  throw new Error(`batch ${stored.batch.id}: checkpoint kept conflicting`);
}
