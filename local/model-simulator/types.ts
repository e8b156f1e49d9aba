/**
 * The simulator's public shapes: what a caller configures (deployments, quota windows, latency, faults)
 * and what it can read back (per-deployment counters, occupancy). Kept apart from the server so the
 * worker-thread protocol and the stack can import the types without pulling in `node:http`.
 */
import type { FaultSettings } from './faults.js';

export interface SimulatedDeployment {
  readonly name: string;
  /** The model name reported in responses; defaults to the deployment name. */
  readonly model?: string;
  readonly tpm: number;
  /** Defaults to the service's rule: 6 RPM per 1,000 TPM. */
  readonly rpm?: number;
  /** Context window in tokens (prompt + max_tokens); 128,000 by default. */
  readonly contextWindow?: number;
  /**
   * A reasoning model (o-series, gpt-5): refuses `max_tokens`, reports reasoning tokens. Default: guessed
   * from the model name, as the platform's deployment settings do.
   */
  readonly reasoning?: boolean;
  /** `GlobalBatch`: serves the Files and Batches APIs (local/model-simulator/batch-jobs.ts), not chat calls. */
  readonly sku?: 'Standard' | 'GlobalBatch';
  /** GlobalBatch: the enqueued-token quota (prompt tokens of unfinished batches); 5,000,000 by default. */
  readonly enqueuedTokens?: number;
}

export interface ModelSimulatorOptions {
  readonly port?: number;
  readonly host?: string;
  /** When set, requests need `api-key: <apiKey>` or `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Entra ID: bearer tokens accepted in `Authorization: Bearer`. With neither this nor apiKey, anything goes. */
  readonly acceptBearerTokens?: readonly string[];
  readonly deployments?: readonly SimulatedDeployment[];
  readonly latency?: Latency;
  /**
   * Quota windows. The service counts tokens per minute and requests over 1-10 s windows; defaults are
   * 60 s and 10 s. `windowMs` sets both at once; benchmarks compress time with short windows.
   */
  readonly windowMs?: number;
  readonly tokenWindowMs?: number;
  readonly requestWindowMs?: number;
  /** Length of free-text answers, chosen deterministically per prompt within this range. */
  readonly completionTokens?: CompletionRange;
  /** `max_tokens` charged when a request omits it. */
  readonly defaultMaxTokens?: number;
  readonly faults?: FaultSettings;
  /** Global Batch time: how long validation, answering a batch, finalizing and a `24h` window take. */
  readonly globalBatch?: Partial<GlobalBatchTiming>;
}

export interface GlobalBatchTiming {
  readonly validatingMs: number;
  /** Time to answer every line of a batch, spread evenly over its lines. */
  readonly processingMs: number;
  readonly finalizingMs: number;
  readonly cancellingMs: number;
  /** What a `24h` completion window lasts here. */
  readonly windowMs: number;
}

export interface GlobalBatchStats {
  created: number;
  completed: number;
  failed: number;
  expired: number;
  cancelled: number;
  tokenLimitRefusals: number;
  linesAnswered: number;
}

/** Simulated model speed: time to the first token, then a fixed time per generated token. */
export interface Latency {
  readonly timeToFirstTokenMs: number;
  readonly perTokenMs: number;
}

export interface CompletionRange {
  readonly min: number;
  readonly max: number;
}

export interface DeploymentStats {
  requests: number;
  admitted: number;
  throttled: number;
  /** Quota charged for admitted requests: prompt + max_tokens, as the service meters TPM. */
  chargedTokens: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  faults: number;
  succeeded: number;
}

export interface SimulatorStats {
  readonly startedAt: number;
  readonly deployments: Readonly<Record<string, DeploymentStats>>;
  readonly totals: DeploymentStats;
  /** Bearer tokens and api keys seen, in order, so tests can observe which credential was used. */
  readonly authorizations: readonly string[];
  /** The `traceparent` headers of the latest chat requests (at most 1,000), so tests can join traces. */
  readonly traceparents: readonly string[];
}

export interface ModelSimulator {
  /** Base URL, e.g. `http://127.0.0.1:53121`; use it as the Azure `endpoint` or `${url}/v1` as `baseURL`. */
  readonly url: string;
  close(): Promise<void>;
  stats(): SimulatorStats;
  /** Quota in use right now, summed over deployments: tokens in the token windows and their budget. */
  occupancy(): { usedTokens: number; tokenBudget: number };
  resetStats(): void;
  setFaults(settings: FaultSettings): void;
  /** Global Batch jobs created, finished and refused, and lines answered. */
  batchStats(): GlobalBatchStats;
  setBatchTiming(timing: Partial<GlobalBatchTiming>): void;
}

export const DEFAULT_SIMULATED_DEPLOYMENTS: readonly SimulatedDeployment[] = [
  { name: 'gpt-4o-mini', model: 'gpt-4o-mini-2024-07-18', tpm: 30_000 },
];
