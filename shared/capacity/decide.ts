/**
 * Which capacity a job's model call goes to: the cheapest that still meets its deadline. Pure, so the
 * rule is tested on its own and the invoke stage only acts on the answer.
 *
 * - Interactive work (no completion window: the job set no `expires_after` and is not a batch line)
 *   always calls real-time deployments, as before.
 * - Work with a window far enough out goes to a Global Batch deployment of its model (about half the
 *   price): only on the first attempt, so a line that came back from a batch (expired, cancelled,
 *   failed) is not sent to one again.
 * - Otherwise real-time: at once when the deadline is near, or when the real-time deployments are idle
 *   (spare quota at background priority); while they are busy with interactive work it waits, as a
 *   scheduled message, until they are idle or its deadline comes near.
 */
import type { GlobalBatchDeployment } from '../model/settings.js';

export interface CapacitySettings {
  /** Within this of its deadline a job calls real-time whatever the load: room for a call and retries. */
  readonly nearDeadlineMs: number;
  /** How long background work waits before looking at the real-time deployments' load again. */
  readonly backgroundRetryMs: number;
}

export type CapacityChoice =
  | { readonly kind: 'batch'; readonly deployment: GlobalBatchDeployment; readonly dueAt: number }
  | { readonly kind: 'realtime'; readonly reason: 'interactive' | 'near_deadline' | 'idle' }
  | { readonly kind: 'wait'; readonly delayMs: number };

export interface CapacityQuestion {
  readonly now: number;
  readonly deadlineAt: number;
  readonly expiresAt?: number;
  readonly attempt: number;
  /** The Global Batch deployments of the job's model. */
  readonly batchDeployments: readonly GlobalBatchDeployment[];
  /** Whether the model's real-time deployments have spare quota now. */
  readonly realtimeIdle: () => boolean;
}

export function chooseCapacity(question: CapacityQuestion, settings: CapacitySettings): CapacityChoice {
  const { now, expiresAt } = question;
  if (expiresAt === undefined) return { kind: 'realtime', reason: 'interactive' };
  const dueAt = Math.min(question.deadlineAt, expiresAt);
  const left = dueAt - now;
  if (question.attempt === 0) {
    // The fastest promise first: more deployments of one model would only split the work.
    const batch = [...question.batchDeployments].sort((a, b) => a.turnaroundSeconds - b.turnaroundSeconds)[0];
    if (batch && left >= batch.turnaroundSeconds * 1000 + settings.nearDeadlineMs) {
      return { kind: 'batch', deployment: batch, dueAt };
    }
  }
  if (left <= settings.nearDeadlineMs) return { kind: 'realtime', reason: 'near_deadline' };
  if (question.realtimeIdle()) return { kind: 'realtime', reason: 'idle' };
  return {
    kind: 'wait',
    delayMs: Math.max(1, Math.min(settings.backgroundRetryMs, left - settings.nearDeadlineMs)),
  };
}
