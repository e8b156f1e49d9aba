/**
 * The simulated deployments: each one's quota limiter and counters, found by deployment name or, on the
 * `/v1` path where the body names a model, by model name. Counters are per deployment because Azure
 * meters quota per deployment; the totals are summed when read.
 */
import { isReasoningModel } from '../../shared/model/settings.js';
import { SlidingWindowLimiter, type LimiterWindows } from './rate-limiter.js';
import type { DeploymentStats, SimulatedDeployment } from './types.js';

export interface DeploymentState {
  readonly config: SimulatedDeployment;
  readonly model: string;
  readonly contextWindow: number;
  readonly reasoning: boolean;
  readonly limiter: SlidingWindowLimiter;
  stats: DeploymentStats;
}

export function emptyStats(): DeploymentStats {
  return {
    requests: 0,
    admitted: 0,
    throttled: 0,
    chargedTokens: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    faults: 0,
    succeeded: 0,
  };
}

export class Deployments {
  private readonly byName = new Map<string, DeploymentState>();

  constructor(configs: readonly SimulatedDeployment[], windows: LimiterWindows) {
    for (const config of configs) {
      this.byName.set(config.name, {
        config,
        model: config.model ?? config.name,
        contextWindow: config.contextWindow ?? 128_000,
        reasoning: config.reasoning ?? isReasoningModel(config.model ?? config.name),
        // The service's rule when no RPM is given: 6 requests per minute per 1,000 TPM.
        limiter: new SlidingWindowLimiter(config.tpm, config.rpm ?? (config.tpm / 1000) * 6, windows),
        stats: emptyStats(),
      });
    }
  }

  find(nameOrModel: string | undefined): DeploymentState | undefined {
    return (
      this.byName.get(nameOrModel ?? '') ?? [...this.byName.values()].find((d) => d.model === nameOrModel)
    );
  }

  stats(): { deployments: Record<string, DeploymentStats>; totals: DeploymentStats } {
    const deployments: Record<string, DeploymentStats> = {};
    const totals = emptyStats();
    for (const [name, state] of this.byName) {
      deployments[name] = { ...state.stats };
      for (const key of Object.keys(totals) as (keyof DeploymentStats)[]) totals[key] += state.stats[key];
    }
    return { deployments, totals };
  }

  occupancy(now: number): { usedTokens: number; tokenBudget: number } {
    let usedTokens = 0;
    let tokenBudget = 0;
    for (const state of this.byName.values()) {
      usedTokens += state.limiter.used(now).tokens;
      tokenBudget += state.limiter.tokenBudget;
    }
    return { usedTokens, tokenBudget };
  }

  resetStats(): void {
    for (const state of this.byName.values()) state.stats = emptyStats();
  }
}
