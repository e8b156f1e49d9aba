/**
 * Model calls that may have been charged for a job that ended meanwhile (cancelled, expired, failed
 * elsewhere): their tokens are unknown, so the ended job's usage flags them (usage.unseenCalls) rather
 * than report none. Only for a job that records no usage yet, so a repeat of the same message flags
 * once: one ETag-guarded write, never on the happy path.
 */
import type { StoredJob } from '../jobs/job.js';
import type { StageDeps } from './deps.js';
import { unseenUsage } from './job-usage.js';

export async function flagUnseenCalls(
  deps: StageDeps,
  stored: StoredJob,
  calls: number,
  log: StageDeps['logger'],
  reason: string,
): Promise<void> {
  // Usage recorded: the job's answer, or this flag, is already there (a succeeded job always has it).
  if (calls === 0 || stored.job.usage || stored.job.status === 'queued') return;
  const written = await deps.jobs.replace({ ...stored.job, usage: unseenUsage(calls) }, stored.etag);
  log.warn('model.earlier_call_unseen', {
    reason: `the job is ${stored.job.status}; ${reason}`,
    calls,
    written: written !== 'stale',
  });
}
