/**
 * Closing a Service Bus link, sender or client whose connection was cut while it re-attached waits for
 * replies that cannot come, for the client's whole try timeout (30 s for the platform's clients, 60 s in
 * host.json): with connections cut every second (the chaos suite) a host took 40 s to close. Past
 * CLOSE_WITHIN_MS the closer stops waiting and goes on; what is left of the dropped connection is
 * timers, which end with the thread or the process.
 */

/** How long one close may take before the host stops waiting for it. */
export const CLOSE_WITHIN_MS = 2_000;

/**
 * Waits for `closing` at most `ms`; tells `late` when it did not finish (or failed) in time. True when
 * it closed: false means the connection is wedged, and further closes on it need not be waited for.
 */
export async function closeWithin(
  closing: Promise<void>,
  late: (outcome: 'late' | 'failed') => void = () => undefined,
  ms: number = CLOSE_WITHIN_MS,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const outcome = await Promise.race([closing.then(() => 'closed' as const), deadline]).catch(
    () => 'failed' as const,
  );
  clearTimeout(timer);
  // A close that fails after we stopped waiting has nobody left to tell.
  closing.catch(() => undefined);
  if (outcome !== 'closed') late(outcome);
  return outcome === 'closed';
}
