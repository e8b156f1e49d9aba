/**
 * Cancel stops spend. A cancel is a write to the job document; the invoke stage learns of it by reading
 * the job, which it does only where a cancel can plausibly have happened, so a job that goes straight
 * from accept to its model call costs no read:
 * - before the call, when the message waited (a retry, a paced or held job, or more than WAITED_MS since
 *   acceptance): a cancelled job is not called at all;
 * - before the call, when the message is delivered again (a lock lost, an instance gone, a redrive): the
 *   first delivery may have called the model already and the job may have finished since; a second
 *   call would be charged and its tokens recorded nowhere;
 * - during a call that runs longer than WATCH_INTERVAL_MS, once per interval: a cancelled job's call is
 *   aborted (the SDK stops reading the response; tokens already generated may still be billed).
 */
import type { StoredJob } from '../jobs/job.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import type { StageDeps } from './deps.js';

export const WAITED_MS = 30_000;
export const WATCH_INTERVAL_MS = 10_000;

export type Wanted = { readonly wanted: true } | { readonly wanted: false; readonly stored?: StoredJob };

/**
 * Whether the job may still be run: not once it was cancelled (or ended otherwise) meanwhile; then the
 * job as read, if it still exists, so the caller can account for it without reading it again.
 */
export async function stillWanted(
  deps: StageDeps,
  message: InvokeMessage,
  nowMs: number,
  redelivered = false,
): Promise<Wanted> {
  if (!redelivered && message.hop === 0 && nowMs - message.timings.acceptedAt <= WAITED_MS) {
    return { wanted: true };
  }
  const stored = await deps.jobs.get(message.tenantId, message.jobId);
  if (stored?.job.status === 'queued') return { wanted: true };
  return stored ? { wanted: false, stored } : { wanted: false };
}

export interface CancelWatch {
  readonly signal: AbortSignal;
  /** True when the watch aborted the call because the job was no longer queued. */
  readonly cancelled: () => boolean;
  stop(): void;
}

export function watchForCancel(
  deps: StageDeps,
  message: InvokeMessage,
  intervalMs: number = WATCH_INTERVAL_MS,
): CancelWatch {
  const controller = new AbortController();
  let cancelled = false;
  const timer = setInterval(() => {
    void deps.jobs.get(message.tenantId, message.jobId).then(
      (stored) => {
        if (stored && stored.job.status !== 'queued' && !controller.signal.aborted) {
          cancelled = true;
          controller.abort(new Error(`job ${message.jobId} is ${stored.job.status}`));
        }
      },
      // A failed read says nothing about the job: the call goes on, the next tick reads again.
      () => undefined,
    );
  }, intervalMs);
  timer.unref();
  return { signal: controller.signal, cancelled: () => cancelled, stop: () => clearInterval(timer) };
}
