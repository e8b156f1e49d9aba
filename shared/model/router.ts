/**
 * Routing over a model alias's deployment pool: lower priority first (provisioned, then pay-as-you-go,
 * then another region), weighted among equal priorities, skipping deployments whose breaker is open or
 * whose quota budget cannot take the request now. When none can, the plan says how long until one can,
 * so the job's message is rescheduled for then instead of calling and collecting a 429.
 */
import type { CircuitBreaker } from './circuit-breaker.js';
import type { FleetShare } from './coordination/fleet-share.js';
import type { ChatEndpoint } from './endpoint.js';
import type { QuotaBudget } from './quota-budget.js';
import type { DeploymentSettings } from './settings.js';

export interface RoutedDeployment {
  readonly settings: DeploymentSettings;
  readonly endpoint: ChatEndpoint;
  readonly breaker: CircuitBreaker;
  readonly budget: QuotaBudget;
  /** This instance's leased share of the deployment, when the fleet coordinates through a lease store. */
  readonly fleet?: FleetShare;
}

export type RoutePlan =
  | { readonly kind: 'go'; readonly order: readonly RoutedDeployment[] }
  | { readonly kind: 'wait'; readonly waitMs: number; readonly reason: 'quota_paced' | 'circuit_open' };

export function planRoute(
  pool: readonly RoutedDeployment[],
  cost: number,
  now: number,
  random: () => number = Math.random,
): RoutePlan {
  const ready = pool.filter((d) => d.breaker.canPass(now) && d.budget.waitMs(cost, now) === 0);
  if (ready.length > 0) return { kind: 'go', order: orderByPriorityAndWeight(ready, random) };
  let waitMs = Number.POSITIVE_INFINITY;
  let reason: 'quota_paced' | 'circuit_open' = 'quota_paced';
  for (const deployment of pool) {
    const breakerWait = deployment.breaker.availableAt(now) - now;
    const budgetWait = deployment.budget.waitMs(cost, now);
    const wait = Math.max(breakerWait, budgetWait, 1);
    if (wait < waitMs) {
      waitMs = wait;
      reason = breakerWait >= budgetWait && breakerWait > 0 ? 'circuit_open' : 'quota_paced';
    }
  }
  return { kind: 'wait', waitMs: Number.isFinite(waitMs) ? waitMs : 1_000, reason };
}

/**
 * Priority ascending; within a priority a weighted random order (Efraimidis-Spirakis keys u^(1/w)), so
 * traffic splits by weight while every deployment stays available as the next failover.
 */
export function orderByPriorityAndWeight<
  T extends { readonly settings: Pick<DeploymentSettings, 'priority' | 'weight'> },
>(deployments: readonly T[], random: () => number = Math.random): T[] {
  return deployments
    .map((deployment) => ({ deployment, key: Math.pow(random(), 1 / deployment.settings.weight) }))
    .sort((a, b) => a.deployment.settings.priority - b.deployment.settings.priority || b.key - a.key)
    .map((entry) => entry.deployment);
}
