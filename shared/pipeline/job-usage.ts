/**
 * A completion's usage as the job records it (tokens, total, cost), and the sum of two: one definition
 * for postprocess, which records a job's usage, and for the invoke stage, which adds the tokens of an
 * extra completion to it.
 */
import type { JobUsage } from '../jobs/job.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import type { ModelUsage } from '../model/port.js';

/** `cost` undefined: the model has no price; recorded as 0 and flagged, never as free. */
export function jobUsageOf(
  usage: ModelUsage,
  cost: number | undefined,
  capacity: JobUsage['capacity'] = 'realtime',
): JobUsage {
  return {
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    cachedTokens: usage.cachedTokens,
    ...(usage.reasoningTokens ? { reasoningTokens: usage.reasoningTokens } : {}),
    totalTokens: usage.promptTokens + usage.completionTokens,
    costUsd: cost === undefined ? 0 : roundUsd(cost),
    ...(cost === undefined ? { costUnknown: true as const } : {}),
    capacity,
  };
}

/** Usage of a job whose only known calls are `calls` that no delivery saw answered: no tokens, flagged. */
export function unseenUsage(calls: number): JobUsage {
  return {
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    totalTokens: 0,
    costUsd: 0,
    unseenCalls: calls,
  };
}

/** Calls the job's usage flags as possibly charged, tokens unknown: those nobody saw, and timeouts. */
export function flaggedCalls(message: InvokeMessage): number {
  return (message.unseenCalls ?? 0) + (message.timedOutCalls ?? 0);
}

export function addJobUsage(a: JobUsage, b: JobUsage): JobUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    ...(a.reasoningTokens || b.reasoningTokens
      ? { reasoningTokens: (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0) }
      : {}),
    totalTokens: a.totalTokens + b.totalTokens,
    costUsd: roundUsd(a.costUsd + b.costUsd),
    ...(a.costUnknown || b.costUnknown ? { costUnknown: true as const } : {}),
    ...(a.capacity ? { capacity: a.capacity } : {}),
    ...(a.unseenCalls || b.unseenCalls ? { unseenCalls: (a.unseenCalls ?? 0) + (b.unseenCalls ?? 0) } : {}),
  };
}

// Rounded to 1e-10 USD so sums and equality checks are not at the mercy of binary fractions.
function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
