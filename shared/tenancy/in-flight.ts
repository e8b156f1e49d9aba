/**
 * Jobs in flight per tenant: the port and the check. In flight = accepted and not yet terminal.
 * The count is read from the job documents themselves (see shared/cosmos/job-usage.ts) instead of a separate
 * counter that every stage would have to decrement exactly once: a lost or repeated decrement would
 * make a counter drift for ever, a query cannot.
 */
import { rateLimited, type Refusal } from './admission-decision.js';

export interface InFlightCounter {
  countInFlight(tenantId: string): Promise<number>;
  /**
   * Optional: check against `max` and count one admission in a single step. A counter that caches
   * (cached-in-flight.ts) needs it: with a separate count and record, concurrent submissions in one
   * instance would all see the same count and all pass.
   */
  admitIfBelow?(tenantId: string, max: number): Promise<boolean>;
}

/** How long a refused caller should wait: jobs typically finish in seconds. */
export const IN_FLIGHT_RETRY_AFTER_MS = 5_000;

/** A refusal when the tenant already has its limit of jobs in flight; otherwise counts this one. */
export async function checkInFlightLimit(
  counter: InFlightCounter,
  tenantId: string,
  maxJobsInFlight: number,
): Promise<Refusal | undefined> {
  const admitted = counter.admitIfBelow
    ? await counter.admitIfBelow(tenantId, maxJobsInFlight)
    : (await counter.countInFlight(tenantId)) < maxJobsInFlight;
  if (admitted) return undefined;
  return rateLimited(
    `${maxJobsInFlight} jobs are already in flight for this tenant; retry when some have finished.`,
    IN_FLIGHT_RETRY_AFTER_MS,
  );
}
