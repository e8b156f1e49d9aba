/**
 * The model layer's settings, as zod schemas the config module parses from the environment. The
 * complex ones (deployment pools, price table) are single JSON-valued variables. This file imports
 * nothing from shared/config so the config module can import it without a cycle.
 */
import { z } from 'zod';

export const DeploymentSettingsSchema = z.strictObject({
  /** Unique name used for the circuit breaker, the budget, logs and `ModelCompletion.deployment`. */
  name: z.string().min(1).max(128),
  /** `azure`: Azure OpenAI (`endpoint` is the resource URL); `openai`: any OpenAI-compatible `baseURL`. */
  kind: z.enum(['azure', 'openai']).default('azure'),
  endpoint: z.url(),
  /** Azure deployment name (defaults to `name`); for `openai` the `model` sent in the body. */
  deployment: z.string().min(1).optional(),
  /** Model name used to look up prices when the response does not report one we know. */
  model: z.string().min(1).optional(),
  /** `entra`: managed identity / developer credential tokens; `apiKey`: MODEL_API_KEY (local only). */
  auth: z.enum(['entra', 'apiKey']).default('entra'),
  /** The deployment's quota, as configured in Azure (1,000-token steps). */
  tpm: z.number().int().positive(),
  /** Defaults to Azure's rule: 6 RPM per 1,000 TPM. */
  rpm: z.number().int().positive().optional(),
  /** Lower is tried first (e.g. 0 provisioned, 1 pay-as-you-go, 2 another region). */
  priority: z.number().int().min(0).default(0),
  /** Share of traffic among deployments of the same priority. */
  weight: z.number().positive().default(1),
  /**
   * Windows the pacer counts over, matching the service: tokens per minute, requests over short windows
   * (Azure: 1-10 s). Only change them to match a simulator running compressed time.
   */
  tokenWindowMs: z.number().int().positive().default(60_000),
  requestWindowMs: z.number().int().positive().default(10_000),
  /**
   * A reasoning model (o-series, gpt-5): it takes `max_completion_tokens` (it refuses `max_tokens`) and
   * reports reasoning tokens. Default: guessed from `model`, else the deployment name (isReasoningModel).
   */
  reasoning: z.boolean().optional(),
});
export type DeploymentSettings = z.infer<typeof DeploymentSettingsSchema>;

/** The o-series (o1, o3, o4-mini, ...) and gpt-5 families are reasoning models. */
export function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5)/i.test(model);
}

export function isReasoningDeployment(
  settings: Pick<DeploymentSettings, 'reasoning' | 'model' | 'deployment' | 'name'>,
): boolean {
  return settings.reasoning ?? isReasoningModel(settings.model ?? settings.deployment ?? settings.name);
}

/**
 * An Azure OpenAI Global Batch deployment: requests go in JSONL files through the Files and Batches APIs
 * (shared/capacity/), about half the real-time price, within a 24 h target turnaround. It has no TPM: its
 * quota is the tokens it may hold enqueued at once.
 */
export const GlobalBatchDeploymentSchema = z.strictObject({
  name: z.string().min(1).max(128),
  kind: z.literal('globalBatch'),
  endpoint: z.url(),
  /** The Azure deployment name (defaults to `name`): the `model` of every line of its batch files. */
  deployment: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  auth: z.enum(['entra', 'apiKey']).default('entra'),
  /** The deployment's enqueued-token quota: prompt tokens of its unfinished batches, at most. */
  enqueuedTokens: z.number().int().positive(),
  /**
   * The time a batch is given: only work whose deadline is this (plus the near-deadline margin) away goes
   * here. Azure's target is 24 h, so a 24 h window would never qualify; batches mostly finish in hours,
   * and one still running when its lines' deadline nears is cancelled and the rest run real-time.
   */
  turnaroundSeconds: z.number().int().positive().default(21_600),
});
export type GlobalBatchDeployment = z.infer<typeof GlobalBatchDeploymentSchema>;

/** Model alias (the `model` a job asks for) → the deployments that can serve it. */
export const ModelPoolsSchema = z.record(
  z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/),
  z
    .array(z.union([DeploymentSettingsSchema, GlobalBatchDeploymentSchema]))
    .min(1)
    .refine((pool) => pool.some((d) => d.kind !== 'globalBatch'), {
      message: 'a model needs at least one real-time deployment (interactive work and near deadlines)',
    }),
);
export type ModelPools = z.infer<typeof ModelPoolsSchema>;

export function isGlobalBatch(
  deployment: DeploymentSettings | GlobalBatchDeployment,
): deployment is GlobalBatchDeployment {
  return deployment.kind === 'globalBatch';
}

/** Which capacity a deployment sells: its price (batch about half) and what a job's usage records. */
export type Capacity = 'realtime' | 'batch';

export function capacityOfDeployment(pools: ModelPools, deploymentName: string): Capacity {
  for (const pool of Object.values(pools)) {
    if (pool.some((d) => d.name === deploymentName && isGlobalBatch(d))) return 'batch';
  }
  return 'realtime';
}

const TokenPricesSchema = z.strictObject({
  inputPer1M: z.number().min(0),
  cachedInputPer1M: z.number().min(0).optional(),
  outputPer1M: z.number().min(0),
});
/**
 * USD per million tokens. Cached input is billed at its own (lower) rate when the provider reports it.
 * `batch`: the Global Batch prices; without them batch usage costs half the real-time prices, Azure's
 * published Global Batch discount.
 */
export const PriceSchema = TokenPricesSchema.extend({ batch: TokenPricesSchema.optional() });
export type Price = z.infer<typeof PriceSchema>;
export const PriceTableSchema = z.record(z.string().min(1), PriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** A variable holding JSON, validated by `schema`; the issue names the variable on failure. */
export function jsonVariable<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** Local default: the simulator that `npm start` runs on port 7075, reached with the API-key mode. */
export const DEFAULT_MODEL_POOLS: ModelPools = ModelPoolsSchema.parse({
  'gpt-4o-mini': [
    {
      name: 'local-simulator',
      kind: 'azure',
      endpoint: 'http://127.0.0.1:7075',
      deployment: 'gpt-4o-mini',
      auth: 'apiKey',
      tpm: 30_000,
    },
  ],
});

/** Published list prices (USD / 1M tokens, global standard) at the time of writing; override per contract. */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  'gpt-4o-mini': {
    inputPer1M: 0.15,
    cachedInputPer1M: 0.075,
    outputPer1M: 0.6,
    batch: { inputPer1M: 0.075, outputPer1M: 0.3 },
  },
  'gpt-4o': {
    inputPer1M: 2.5,
    cachedInputPer1M: 1.25,
    outputPer1M: 10,
    batch: { inputPer1M: 1.25, outputPer1M: 5 },
  },
  'gpt-4.1': {
    inputPer1M: 2,
    cachedInputPer1M: 0.5,
    outputPer1M: 8,
    batch: { inputPer1M: 1, outputPer1M: 4 },
  },
  'gpt-4.1-mini': {
    inputPer1M: 0.4,
    cachedInputPer1M: 0.1,
    outputPer1M: 1.6,
    batch: { inputPer1M: 0.2, outputPer1M: 0.8 },
  },
  'gpt-4.1-nano': {
    inputPer1M: 0.1,
    cachedInputPer1M: 0.025,
    outputPer1M: 0.4,
    batch: { inputPer1M: 0.05, outputPer1M: 0.2 },
  },
  // Embeddings: input tokens only.
  'text-embedding-3-small': { inputPer1M: 0.02, outputPer1M: 0 },
  'text-embedding-3-large': { inputPer1M: 0.13, outputPer1M: 0 },
  'text-embedding-ada-002': { inputPer1M: 0.1, outputPer1M: 0 },
};

/** What the model client needs from configuration (shared/config/model-settings.ts builds it). */
export interface ModelClientSettings {
  /** In Azure, deployments of kind `azure` must use Entra ID, and no local key is assumed. */
  readonly azure: boolean;
  /** The user-assigned managed identity to use for Entra ID, when there is one. */
  readonly clientId?: string;
  readonly pools: ModelPools;
  /** The one key for `apiKey` deployments (never for Azure deployments in Azure). */
  readonly apiKey?: string;
  readonly apiVersion: string;
  readonly timeoutMs: number;
  /** Completion tokens reserved when a job does not set `max_tokens`. */
  readonly defaultMaxTokens: number;
  /**
   * Without coordination, this instance's fixed share of every deployment's quota; with it, the most
   * any one instance may lease.
   */
  readonly instanceShare: number;
  /**
   * Fleet-wide pacing (shared/model/coordination): instances lease shares of each deployment's quota
   * from a shared store. Absent: each instance paces to `instanceShare` on its own.
   */
  readonly coordination?: {
    /** How often an instance renews its lease; default a twelfth of the token window, 0.1-5 s. */
    readonly renewMs?: number;
    /** The share to pace at while the store cannot be reached (and no lease is held). */
    readonly fallbackShare: number;
  };
  /** Circuit breaker (shared/model/circuit-breaker.ts): failures in its window before its rate is judged. */
  readonly breakerFailures: number;
  readonly breakerOpenMs: number;
  /** Window and failure rate (0-1); the breaker's defaults when absent. */
  readonly breakerWindowMs?: number;
  readonly breakerFailureRate?: number;
}
