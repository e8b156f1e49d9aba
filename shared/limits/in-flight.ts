/**
 * Jobs in flight per tenant: the port and the check. In flight = accepted and not yet terminal.
 * The count is read from the job documents themselves (see cosmos-job-usage.ts) instead of a separate
 * counter that every stage would have to decrement exactly once: a lost or repeated decrement would
 * make a counter drift for ever, a query cannot.
 */
import { RateLimitedError } from '../errors/index.js';

export interface InFlightCounter {
  countInFlight(tenantId: string): Promise<number>;
}

/** How long a refused caller should wait: jobs typically finish in seconds. */
export const IN_FLIGHT_RETRY_AFTER_MS = 5_000;

export async function enforceInFlightLimit(
  counter: InFlightCounter,
  tenantId: string,
  maxJobsInFlight: number,
): Promise<void> {
  const inFlight = await counter.countInFlight(tenantId);
  if (inFlight >= maxJobsInFlight) {
    throw new RateLimitedError(
      `${maxJobsInFlight} jobs are already in flight for this tenant; retry when some have finished.`,
      IN_FLIGHT_RETRY_AFTER_MS,
    );
  }
}
