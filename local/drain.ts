/**
 * Shutting down the local stack without stranding accepted jobs: once HTTP stops accepting, the queue
 * triggers keep working until no message is ready or locked in any queue, within a bound. Scheduled
 * messages (a webhook retry, a 429 backoff) may be minutes or hours away and are not waited for.
 */
import type { QueueStats } from './servicebus/index.js';

/** Resolves true when the queues emptied, false when `timeoutMs` passed first. */
export async function drainQueues(stats: () => QueueStats, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = Object.values(stats()).reduce((sum, queue) => sum + queue.active + queue.locked, 0);
    if (busy === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
