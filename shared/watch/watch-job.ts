/**
 * Reading a job and waiting for its end, for the long poll and the event stream: the wait is registered
 * before the read, so an end written between the two is not missed, and dropped when the read finds the
 * job already finished. One point read per request; the end costs no read (jobs.ts, docs/api.md).
 */
import { isTerminal, type JobDocument } from '../jobs/job.js';
import type { JobStore } from '../jobs/job-store.js';
import { getJob } from '../pipeline/reads.js';
import type { JobKey, JobWatcher, WaitOptions } from './job-watcher.js';

export interface WatchedJob {
  /** The job as read now. */
  readonly job: JobDocument;
  /** The job as it ended; `undefined` when the wait stopped first (signal, timeout, host closing). */
  readonly end: Promise<JobDocument | undefined>;
}

export async function watchJob(
  deps: { readonly jobs: JobStore; readonly jobWatcher: JobWatcher },
  key: JobKey,
  options: WaitOptions,
): Promise<WatchedJob> {
  const stop = new AbortController();
  const stopWith = () => stop.abort();
  options.signal?.addEventListener('abort', stopWith, { once: true });
  const end = deps.jobWatcher
    .waitForEnd(key, {
      signal: stop.signal,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    })
    .finally(() => options.signal?.removeEventListener('abort', stopWith));
  let job: JobDocument;
  try {
    job = await getJob(deps.jobs, key.tenantId, key.id);
  } catch (error) {
    stop.abort();
    throw error;
  }
  if (!isTerminal(job.status)) return { job, end };
  stop.abort();
  await end;
  return { job, end: Promise.resolve(job) };
}
