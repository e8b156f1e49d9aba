/**
 * The port over kept completions: what the model answered for one attempt of one job, kept before the
 * answer is handed to `postprocess`. An invoke message can be delivered again while (or after) an earlier
 * delivery called the model: a lock that expired mid-call, an instance killed before it settled, a
 * connection cut after the answer. The kept completion lets that delivery pass the answer on instead of
 * paying for a second one, and tells a delivery whose call raced another's that its tokens are extra.
 */
import type { ModelCompletion } from '../model/port.js';

export interface CompletionRecord {
  readonly jobId: string;
  /** The attempt the completion answers (InvokeMessage.attempt, before it is counted). */
  readonly attempt: number;
  readonly completion: ModelCompletion;
  readonly invokeStartedAt: number;
  readonly modelCompletedAt: number;
}

export interface CompletionRecords {
  /**
   * Keeps the record unless one is kept for the same job and attempt: `exists` means another delivery's
   * completion came first (and is the one the job goes on with). Kept for `ttlSeconds`.
   */
  keep(record: CompletionRecord, ttlSeconds: number): Promise<'kept' | 'exists'>;
  find(jobId: string, attempt: number): Promise<CompletionRecord | undefined>;
}

/** Deliveries of a job past its deadline end it before reading anything, so a record is kept until then. */
export function recordTtlSeconds(deadlineAt: number, expiresAt: number | undefined, nowMs: number): number {
  const until = expiresAt === undefined ? deadlineAt : Math.min(deadlineAt, expiresAt);
  // A minute past it, for clocks that disagree between instances.
  return Math.max(60, Math.ceil((until - nowMs) / 1000) + 60);
}
