/**
 * Per-tenant admission of a job submission, the one call the accept use case makes before creating a
 * job. Free checks first (status, model, size, message count), then the rate limit (the cheapest
 * shared check, and the one that protects the others from a flood), then jobs in flight, then the
 * daily budget. Answers admit, hold (until the budget resets) or refuse, as a value.
 */
import type { JobPriority } from '../jobs/submission.js';
import { allowsModel, allowsPriority, schedulingOf, type Tenant } from './tenant.js';
import {
  notAllowed,
  priorityNotAllowed,
  tenantDisabled,
  tooLarge,
  type Admission,
  type Refusal,
} from './admission-decision.js';
import { checkDailyBudget, type TokenUsageReader } from './budget.js';
import { checkInFlightLimit, type InFlightCounter } from './in-flight.js';
import { checkSubmissionRate, type RateLimiter } from './rate-limiter.js';

export interface AdmissionDeps {
  readonly rateLimiter: RateLimiter;
  readonly inFlight: InFlightCounter;
  readonly usage: TokenUsageReader;
}

export interface SubmissionShape {
  readonly model: string;
  readonly messageCount: number;
  /** Size of the request body as received (bytes), before parsing. */
  readonly requestBytes: number;
  /** The priority the job names, if it names one. */
  readonly priority?: JobPriority;
}

/** Size and count limits alone: usable before parsing the full schema, and by the intake queue. */
export function checkRequestLimits(
  tenant: Tenant,
  submission: Omit<SubmissionShape, 'model'>,
): Refusal | undefined {
  if (submission.requestBytes > tenant.quotas.maxRequestBytes) {
    return tooLarge(
      `The request exceeds this tenant's limit of ${tenant.quotas.maxRequestBytes} bytes.`,
      tenant.quotas.maxRequestBytes,
    );
  }
  if (submission.messageCount > tenant.quotas.maxMessages) {
    return notAllowed(`At most ${tenant.quotas.maxMessages} messages per request for this tenant.`, [
      { field: 'messages', message: `at most ${tenant.quotas.maxMessages} messages` },
    ]);
  }
  return undefined;
}

export async function admitSubmission(
  tenant: Tenant,
  submission: SubmissionShape,
  deps: AdmissionDeps,
  nowMs: number,
): Promise<Admission> {
  if (tenant.status !== 'active') return tenantDisabled('This tenant is suspended.');
  if (!allowsModel(tenant, submission.model)) {
    return notAllowed('This model is not enabled for the tenant.', [
      { field: 'model', message: 'not enabled for this tenant' },
    ]);
  }
  if (submission.priority !== undefined && !allowsPriority(tenant, submission.priority)) {
    const allowed = schedulingOf(tenant).allowedPriorities.join(', ');
    return priorityNotAllowed(
      `This tenant may not submit ${submission.priority} jobs; allowed: ${allowed}.`,
      [{ field: 'priority', message: `not allowed for this tenant (allowed: ${allowed})` }],
    );
  }
  return (
    checkRequestLimits(tenant, submission) ??
    (await checkSubmissionRate(deps.rateLimiter, tenant.id, tenant.quotas.submissionsPerMinute, nowMs)) ??
    (await checkInFlightLimit(deps.inFlight, tenant.id, tenant.quotas.maxJobsInFlight)) ??
    checkDailyBudget(deps.usage, tenant.id, tenant.quotas, nowMs)
  );
}
