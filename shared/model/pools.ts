/**
 * The model client's pools: per model alias, its deployments (endpoint, circuit breaker, quota budget
 * and, when the fleet coordinates, the instance's leased share of the deployment) and the fair scheduler
 * that admits tenants' calls and spreads paced jobs over time.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { FleetShare } from './coordination/fleet-share.js';
import type { QuotaLeaseStore } from './coordination/lease-store.js';
import { createChatEndpoint, type EndpointAuth } from './endpoint.js';
import { FairScheduler } from './fairness/fair-scheduler.js';
import { QuotaBudget } from './quota-budget.js';
import type { RoutedDeployment } from './router.js';
import { isGlobalBatch, type DeploymentSettings, type ModelClientSettings } from './settings.js';

export interface Pool {
  readonly deployments: readonly RoutedDeployment[];
  /** Tenant limits, weighted shares and priorities before a call, and the slots paced jobs return at. */
  readonly fairness: FairScheduler;
  /** Resolves once every deployment of the pool has its first lease (at once without coordination). */
  ready(): Promise<void>;
}

export interface PoolDependencies {
  readonly clock: Clock;
  readonly authFor: (deployment: DeploymentSettings) => EndpointAuth;
  readonly deferralHorizonMs: number;
  /** The fleet's lease store; without it (or with coordination off) each instance paces to its fixed share. */
  readonly quotaLeases?: QuotaLeaseStore;
  readonly instanceId?: string;
  readonly onCoordinationDegraded?: (deployment: string, error: unknown) => void;
}

/** Renew often enough that a share follows demand within a few percent of the token window. */
export function defaultRenewMs(deployment: DeploymentSettings): number {
  return Math.min(5_000, Math.max(100, Math.round(deployment.tokenWindowMs / 12)));
}

export function buildPools(settings: ModelClientSettings, dependencies: PoolDependencies): Map<string, Pool> {
  const { clock } = dependencies;
  const coordination = dependencies.quotaLeases ? settings.coordination : undefined;
  // Short: every member's id is in the document each renewal reads.
  const instanceId = dependencies.instanceId ?? randomBytes(6).toString('hex');
  const pace = (deployment: DeploymentSettings): { budget: QuotaBudget; fleet?: FleetShare } => {
    const requestsPerMinute = deployment.rpm ?? (deployment.tpm / 1000) * 6;
    const renewMs = coordination?.renewMs ?? defaultRenewMs(deployment);
    const budget = new QuotaBudget({
      tokensPerMinute: deployment.tpm,
      requestsPerMinute,
      tokenWindowMs: deployment.tokenWindowMs,
      requestWindowMs: deployment.requestWindowMs,
      share: settings.instanceShare,
      zeroShareRetryMs: renewMs,
    });
    if (!coordination || !dependencies.quotaLeases) return { budget };
    const windowMs = Math.max(deployment.tokenWindowMs, deployment.requestWindowMs);
    const fleet = new FleetShare({
      store: dependencies.quotaLeases,
      deployment: deployment.name,
      instanceId,
      // The pacer's expiry margin lets charges live up to a tenth longer than the service's window.
      windowMs: Math.ceil(windowMs * 1.1),
      renewMs,
      upperBound: settings.instanceShare,
      fallbackShare: coordination.fallbackShare,
      tokensPerWindow: (deployment.tpm * windowMs) / 60_000,
      requestsPerWindow: (requestsPerMinute * windowMs) / 60_000,
      clock,
      usageAt: (time) => budget.ownUsageAt(time),
      apply: (share) => budget.setShare(share),
      onDegraded: (error) => dependencies.onCoordinationDegraded?.(deployment.name, error),
    });
    return { budget, fleet };
  };
  // One budget and one lease per deployment name, even if several aliases route to it: the service
  // counts one quota per deployment.
  const shared = new Map<string, { budget: QuotaBudget; fleet?: FleetShare }>();
  const pools = new Map<string, Pool>();
  for (const [alias, configured] of Object.entries(settings.pools)) {
    // Global Batch deployments take files, not calls: shared/capacity/ sends them their work.
    const deploymentSettings = configured.filter((d) => !isGlobalBatch(d));
    const routed = deploymentSettings.map((deployment): RoutedDeployment => {
      const existing = shared.get(deployment.name);
      const { budget, fleet } = existing ?? pace(deployment);
      shared.set(deployment.name, { budget, ...(fleet ? { fleet } : {}) });
      return {
        settings: deployment,
        endpoint: createChatEndpoint(deployment, dependencies.authFor(deployment), {
          apiVersion: settings.apiVersion,
          timeoutMs: settings.timeoutMs,
        }),
        breaker: new CircuitBreaker({
          minimumFailures: settings.breakerFailures,
          openMs: settings.breakerOpenMs,
          ...(settings.breakerWindowMs ? { windowMs: settings.breakerWindowMs } : {}),
          ...(settings.breakerFailureRate ? { failureRate: settings.breakerFailureRate } : {}),
        }),
        budget,
        ...(fleet ? { fleet } : {}),
      };
    });
    // Paced jobs are spread at the rate this instance may send at (its fleet target once it has one).
    const shareOf = (d: RoutedDeployment) => (d.fleet ? d.fleet.pacingShare() : settings.instanceShare);
    const windowMs = Math.max(1, ...routed.map((d) => d.settings.tokenWindowMs));
    const fairness = new FairScheduler({
      windowMs,
      horizonMs: dependencies.deferralHorizonMs,
      capacity: () =>
        routed.reduce(
          (sum, d) =>
            sum + d.budget.limits().deployment.tokens * (windowMs / d.settings.tokenWindowMs) * shareOf(d),
          0,
        ),
      free: (now) =>
        routed.reduce((sum, d) => sum + d.budget.freeTokens(now) * (windowMs / d.settings.tokenWindowMs), 0),
      // A tenant's limit is split evenly over the live instances: Service Bus spreads each tenant's
      // messages evenly over its consumers (a split by leased share would starve the instances whose
      // share is small because that tenant's jobs there were held back by its limit).
      fleetFraction: () =>
        Math.min(
          settings.instanceShare,
          ...routed.flatMap((d) => (d.fleet ? [1 / Math.max(1, d.fleet.status().members)] : [])),
        ),
    });
    let ready: Promise<void> | undefined;
    pools.set(alias, {
      deployments: routed,
      fairness,
      ready: () =>
        (ready ??= Promise.all(routed.flatMap((d) => (d.fleet ? [d.fleet.ready()] : []))).then(
          () => undefined,
        )),
    });
  }
  return pools;
}
