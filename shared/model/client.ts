/**
 * `createModelClient`: the ModelClient the invoke stage calls. Per call it prices the request the way the
 * service meters it (prompt tokens + max_tokens), routes it to a deployment that can take it now, fails
 * over at once on 429/5xx/timeouts, and, when no deployment can take it, throws RetryAfterError with the
 * time one can, so the job's message is rescheduled instead of calling into a 429.
 */
import type { TokenCredential } from '@azure/identity';
import { ConfigurationError, PermanentError, RetryAfterError } from '../errors/index.js';
import type { JobRequest } from '../jobs/job-request.js';
import { observedCall, recordUnroutedCall } from './call-telemetry.js';
import { sendCanaryIfDue } from './canary.js';
import type { BreakerSnapshot } from './circuit-breaker.js';
import type { FleetShare, FleetShareStatus } from './coordination/fleet-share.js';
import type { QuotaLeaseStore } from './coordination/lease-store.js';
import { defaultModelCredential, entraTokenProvider } from './credentials.js';
import { callEndpoint, type EndpointAuth } from './endpoint.js';
import {
  CONFIGURATION_RETRY_MS,
  DEFAULT_TRANSIENT_RETRY_MS,
  classifyModelFailure,
  toPlatformError,
  type ModelFailure,
} from './failure.js';
import type { ModelCallContext, ModelClient, ModelCompletion } from './port.js';
import { inlinePromptTokenCounter, type PromptTokenCounter } from './prompt-tokens.js';
import { isQuarantined } from './quarantine.js';
import { completionLimit, countableMessages } from './tokens.js';
import { buildPools, type Pool } from './pools.js';
import { QUOTA_PACED_REASON } from './reasons.js';
import { heldBack } from './fairness/held-back.js';
import { planRoute, type RoutedDeployment } from './router.js';
import type { DeploymentSettings, ModelClientSettings } from './settings.js';
import type { Clock } from '../time/clock.js';

export interface ModelLogger {
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ModelClientDependencies {
  /** Entra ID credential; defaults to the managed identity in Azure, DefaultAzureCredential elsewhere. */
  readonly credential?: TokenCredential;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: ModelLogger;
  /** How many deployments one call may try before giving the job back to the queue. */
  readonly maxDeploymentsPerCall?: number;
  /** Farthest a paced job is pushed out; it is paced again if it comes back early. */
  readonly deferralHorizonMs?: number;
  /** Prices a prompt in tokens; defaults to counting on the event loop (no heavy-work pool). */
  readonly promptTokens?: PromptTokenCounter;
  /** The fleet's quota lease store: with `settings.coordination`, instances share each quota through it. */
  readonly quotaLeases?: QuotaLeaseStore;
  /** This instance's id in the leases; random per process by default. */
  readonly instanceId?: string;
}

export interface DeploymentStatus extends BreakerSnapshot {
  readonly alias: string;
  readonly deployment: string;
  readonly usedTokens: number;
  readonly usedRequests: number;
  readonly externalTokens: number;
  readonly cooldownMs: number;
  readonly adaptiveFactor: number;
  readonly marginMs: number;
  /** This instance's share of the deployment's quota: leased from the fleet, or the configured one. */
  readonly share: number;
  readonly fleet?: FleetShareStatus;
}

export interface RoutedModelClient extends ModelClient {
  /** Live routing state per deployment, for operators and tests. */
  status(): DeploymentStatus[];
  /** The model aliases jobs may ask for, so the accept stage can refuse an unknown one at once. */
  aliases(): string[];
  /**
   * Gives this instance's leased shares back to the fleet (best effort; an unreleased lease expires).
   * Call before the store's client is closed.
   */
  leave(): Promise<void>;
  /**
   * Closes the deployments' kept-alive connections. Optional at shutdown: idle sockets are unref'd and
   * never keep the process alive; this just releases them now instead of at their idle timeout.
   */
  close(): void;
}

// Defined in reasons.js so the attempt policy can use it without loading this client (start-up time).
export { QUOTA_PACED_REASON } from './reasons.js';

/** Even when another deployment looks free after a 429, give the queue a moment before the retry. */
const MIN_THROTTLED_RETRY_MS = 50;

const consoleLogger: ModelLogger = {
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

export function createModelClient(
  settings: ModelClientSettings,
  dependencies: ModelClientDependencies = {},
): RoutedModelClient {
  const clock = dependencies.clock ?? Date.now;
  const random = dependencies.random ?? Math.random;
  const logger = dependencies.logger ?? consoleLogger;
  const maxDeploymentsPerCall = dependencies.maxDeploymentsPerCall ?? 3;
  const promptTokens = dependencies.promptTokens ?? inlinePromptTokenCounter;
  const azure = settings.azure;
  let tokenProvider: (() => Promise<string>) | undefined;
  const authFor = (deployment: DeploymentSettings): EndpointAuth => {
    if (deployment.auth === 'apiKey') {
      if (azure && deployment.kind === 'azure') {
        throw new ConfigurationError(
          `MODEL_POOLS: deployment ${deployment.name} uses auth "apiKey"; Azure deployments use Entra ID (auth "entra")`,
          CONFIGURATION_RETRY_MS,
        );
      }
      // The local simulator accepts any key; a real key only ever comes from MODEL_API_KEY.
      const apiKey = settings.apiKey ?? (azure ? undefined : 'local-simulator');
      if (!apiKey) {
        throw new ConfigurationError(
          `MODEL_API_KEY is required for deployment ${deployment.name}`,
          CONFIGURATION_RETRY_MS,
        );
      }
      return { apiKey };
    }
    tokenProvider ??= entraTokenProvider(
      dependencies.credential ??
        defaultModelCredential({
          azure,
          ...(settings.clientId ? { clientId: settings.clientId } : {}),
        }),
    );
    return { tokenProvider };
  };

  const pools = buildPools(settings, {
    clock,
    authFor,
    deferralHorizonMs: dependencies.deferralHorizonMs ?? 15 * 60_000,
    ...(dependencies.quotaLeases ? { quotaLeases: dependencies.quotaLeases } : {}),
    ...(dependencies.instanceId ? { instanceId: dependencies.instanceId } : {}),
    onCoordinationDegraded: (deployment, error) =>
      logger.warn('Model quota coordination store unreachable; pacing to the fallback share', {
        deployment,
        error: error instanceof Error ? error.message : String(error),
      }),
  });

  async function complete(request: JobRequest, context: ModelCallContext): Promise<ModelCompletion> {
    const pool = pools.get(request.model);
    if (!pool) {
      throw new PermanentError(
        `Unknown model "${request.model}"; available: ${[...pools.keys()].join(', ')}`,
        'unknown_model',
      );
    }
    const maxTokens = completionLimit(request, settings.defaultMaxTokens);
    const cost = (await promptTokens(countableMessages(request), context.tenantId)) + maxTokens;
    await pool.ready();
    const fair = pool.fairness.admit(context, cost, clock());
    if (fair.kind === 'wait') throw heldBack(pool.deployments, request.model, cost, fair, clock());
    const tried = new Set<RoutedDeployment>();
    const failures: ModelFailure[] = [];
    const quarantined = isQuarantined(context);

    while (tried.size < Math.min(maxDeploymentsPerCall, pool.deployments.length)) {
      for (const d of pool.deployments) {
        if (!tried.has(d)) await sendCanaryIfDue(d, clock, settings.timeoutMs);
      }
      const now = clock();
      const plan = planRoute(
        pool.deployments.filter((d) => !tried.has(d)),
        cost,
        now,
        random,
      );
      if (plan.kind === 'wait') break;
      const target = plan.order[0]!;
      tried.add(target);
      const reservation = target.budget.reserve(cost, now);
      target.fleet?.recordDemand(cost, now);
      if (tried.size === 1) pool.fairness.sent(cost);
      const ticket = target.breaker.onCallStart(quarantined);
      try {
        const attempt = { settings: target.settings, earlierTries: tried.size - 1 };
        const result = await observedCall(attempt, request, maxTokens, context, () =>
          callEndpoint(target.endpoint, request, maxTokens, context.signal, () =>
            target.budget.restamp(reservation, clock()),
          ),
        );
        target.breaker.onSuccess(ticket, clock());
        target.budget.onResponse(reservation, result.rateLimit, clock());
        if (result.completion.finishReason === 'content_filter') {
          throw new PermanentError(
            "The model's answer was withheld by the provider's content filter; change the prompt and resubmit",
            'content_filter',
          );
        }
        return result.completion;
      } catch (error) {
        if (error instanceof PermanentError) throw error;
        const failure = classifyModelFailure(error, target.settings.name);
        const at = clock();
        switch (failure.kind) {
          case 'permanent':
            // The deployment answered; the request is what it refused. Ends the job whatever the breaker says.
            target.breaker.onSuccess(ticket, at);
            throw toPlatformError(failure);
          case 'throttled':
            target.budget.release(reservation);
            target.budget.onThrottled(failure.retryAfterMs, at, reservation.at);
            break;
          case 'configuration':
            logger.error('Model deployment refused our configuration', {
              deployment: target.settings.name,
              reason: failure.reason,
              status: failure.status,
              detail: failure.detail,
              jobId: context.jobId,
            });
            target.breaker.onFailure(ticket, at);
            break;
          case 'transient':
            // A call the caller aborted (job cancelled, lock lost) says nothing about the deployment.
            if (!context.signal?.aborted) target.breaker.onFailure(ticket, at);
            break;
        }
        failures.push(failure);
        if (failure.unanswered) context.onUnanswered?.();
        if (context.signal?.aborted) break; // the caller gave up: no other call on its behalf
      }
    }
    const error = giveUp(pool, context, cost, failures);
    if (failures.length === 0 && error instanceof RetryAfterError)
      recordUnroutedCall(request.model, error.reason);
    throw error;
  }

  function giveUp(pool: Pool, call: ModelCallContext, cost: number, failures: ModelFailure[]): Error {
    const now = clock();
    if (failures.length > 0 && failures.every((f) => f.kind === 'configuration')) {
      return toPlatformError(failures[failures.length - 1]!);
    }
    const plan = planRoute(pool.deployments, cost, now, random);
    const waitMs = plan.kind === 'wait' ? plan.waitMs : 0;
    if (failures.length === 0) {
      // Never called: no deployment has quota (or a closed circuit) for this request now. It still
      // counts as demand until it comes back, so that the fleet's split follows each instance's backlog.
      pool.fairness.release(call, cost);
      const delay = pool.fairness.deferral(call, cost, waitMs, now);
      for (const d of pool.deployments) d.fleet?.recordDemand(cost, now, now + delay);
      const reason =
        plan.kind === 'wait' && plan.reason === 'circuit_open' ? 'model_circuit_open' : QUOTA_PACED_REASON;
      return new RetryAfterError(`No deployment can take this request for ${delay} ms`, delay, reason);
    }
    const last = failures[failures.length - 1]!;
    // After 429s the budgets already hold each deployment's cooldown, so the plan's wait is the earliest
    // any of them takes a call again. After failures, wait at least what the service named (or 2 s).
    const named = Math.min(...failures.map((f) => f.retryAfterMs ?? DEFAULT_TRANSIENT_RETRY_MS));
    const delay =
      last.kind === 'throttled' ? Math.max(waitMs, MIN_THROTTLED_RETRY_MS) : Math.max(waitMs, named, 1);
    return new RetryAfterError(failures.map((f) => f.detail).join('; '), delay, last.reason, {
      cause: last.cause,
    });
  }

  return {
    complete,
    aliases: () => [...pools.keys()],
    close() {
      for (const pool of pools.values()) for (const d of pool.deployments) d.endpoint.close?.();
    },
    async leave() {
      const fleets = new Set<FleetShare>();
      for (const pool of pools.values()) for (const d of pool.deployments) if (d.fleet) fleets.add(d.fleet);
      await Promise.all([...fleets].map((fleet) => fleet.leave()));
    },

    status() {
      const now = clock();
      const rows: DeploymentStatus[] = [];
      for (const [alias, pool] of pools) {
        for (const d of pool.deployments) {
          rows.push({
            alias,
            deployment: d.settings.name,
            ...d.breaker.snapshot(now),
            ...d.budget.snapshot(now),
            share: d.fleet ? d.fleet.share() : settings.instanceShare,
            ...(d.fleet ? { fleet: d.fleet.status() } : {}),
          });
        }
      }
      return rows;
    },
  };
}
