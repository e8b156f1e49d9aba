/**
 * Per-tenant admission of a job submission, the one call the accept use case makes before creating a
 * job. Free checks first (status, model, size, message count), then the rate limit (the cheapest
 * shared check, and the one that protects the others from a flood), then jobs in flight, then the
 * daily budget. Throws 403/400/413/429 errors from shared/errors; returns whether to run the job now
 * or hold it until the budget resets.
 */
import { ForbiddenError, PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { allowsModel, type Tenant } from './tenant.js';
import { checkDailyBudget, type BudgetDecision, type TokenUsageReader } from './budget.js';
import { enforceInFlightLimit, type InFlightCounter } from './in-flight.js';
import { enforceSubmissionRate, type RateLimiter } from './rate-limiter.js';

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
}

/** Size and count limits alone: usable before parsing the full schema, and by the intake queue. */
export function checkRequestLimits(tenant: Tenant, submission: Omit<SubmissionShape, 'model'>): void {
  if (submission.requestBytes > tenant.quotas.maxRequestBytes) {
    throw new PayloadTooLargeError(
      `The request exceeds this tenant's limit of ${tenant.quotas.maxRequestBytes} bytes.`,
      tenant.quotas.maxRequestBytes,
    );
  }
  if (submission.messageCount > tenant.quotas.maxMessages) {
    throw new ValidationError(`At most ${tenant.quotas.maxMessages} messages per request for this tenant.`, [
      { field: 'messages', message: `at most ${tenant.quotas.maxMessages} messages` },
    ]);
  }
}

export async function admitSubmission(
  tenant: Tenant,
  submission: SubmissionShape,
  deps: AdmissionDeps,
  nowMs: number,
): Promise<BudgetDecision> {
  if (tenant.status !== 'active') throw new ForbiddenError('This tenant is suspended.');
  if (!allowsModel(tenant, submission.model)) {
    throw new ValidationError('This model is not enabled for the tenant.', [
      { field: 'model', message: 'not enabled for this tenant' },
    ]);
  }
  checkRequestLimits(tenant, submission);
  await enforceSubmissionRate(deps.rateLimiter, tenant.id, tenant.quotas.submissionsPerMinute, nowMs);
  await enforceInFlightLimit(deps.inFlight, tenant.id, tenant.quotas.maxJobsInFlight);
  return checkDailyBudget(deps.usage, tenant.id, tenant.quotas, nowMs);
}
