/**
 * A call the fair scheduler held back (its tenant over its token limit, or beyond its share of a
 * saturated pool) becomes a RetryAfterError with a waiting reason: no call was made and no attempt is
 * spent, the job's message returns at its slot.
 */
import { RetryAfterError } from '../../errors/index.js';
import { recordUnroutedCall } from '../call-telemetry.js';
import { QUOTA_PACED_REASON, TENANT_PACED_REASON } from '../reasons.js';
import type { RoutedDeployment } from '../router.js';
import type { FairWait } from './fair-scheduler.js';

export function heldBack(
  deployments: readonly RoutedDeployment[],
  model: string,
  cost: number,
  fair: FairWait,
  now: number,
): RetryAfterError {
  // Work held for its share is still demand on the deployments (the fleet's split follows it); work
  // over its tenant's own limit is not.
  if (fair.reason === 'fair_share') {
    for (const d of deployments) d.fleet?.recordDemand(cost, now, now + fair.waitMs);
  }
  const reason = fair.reason === 'tenant_limit' ? TENANT_PACED_REASON : QUOTA_PACED_REASON;
  recordUnroutedCall(model, reason);
  const why = fair.reason === 'tenant_limit' ? "its tenant's token limit" : "its tenant's fair share";
  return new RetryAfterError(`Held back for ${fair.waitMs} ms by ${why}`, fair.waitMs, reason);
}
