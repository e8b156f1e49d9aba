/**
 * Which calls may count against a deployment's health. An attempt is only spent when a call failed on
 * every deployment it tried, so a job on a retry (`attempt > 0`) is one whose last call found no
 * deployment able to answer it. If the deployments were really down, fresh jobs fail too and open the
 * circuit on their own; if they were not, the job itself is the likely cause (a prompt that makes the
 * model fail every time). Either way its next failure adds nothing the breaker needs, and counting it
 * would let a few bad jobs, retried many times each, open the circuit for every tenant. Such a job is
 * quarantined: it keeps its own backoff schedule (shared/model/attempt-policy.ts) and ends when its
 * attempts are spent, while its failures never count against the deployment.
 */
import type { ModelCallContext } from './port.js';

export function isQuarantined(context: Pick<ModelCallContext, 'attempt'>): boolean {
  return context.attempt > 0;
}
