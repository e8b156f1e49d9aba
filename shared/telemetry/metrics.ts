/**
 * The platform's metrics through the OpenTelemetry metrics API: counted in process and exported
 * pre-aggregated, so unlike log lines they are never sampled. The names live here only; the workbook,
 * the alerts and the tests read `METRIC_NAMES`.
 *
 * Each measurement happens once per fact: tokens when the model answers (the tokens were spent, even if
 * the job is then retried), a job's end when persist wrote it, cost with that write.
 */
import { metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';

export const METRIC_NAMES = {
  jobsAccepted: 'pipeline.jobs.accepted',
  jobsFinished: 'pipeline.jobs.finished',
  stageDuration: 'pipeline.stage.duration',
  queueWait: 'pipeline.queue.wait',
  /** GenAI semantic conventions' name; `gen_ai.token.type` is input or output. */
  tokenUsage: 'gen_ai.client.token.usage',
  cost: 'pipeline.cost',
  modelCalls: 'pipeline.model.calls',
  webhookAttempts: 'pipeline.webhook.attempts',
  deadLettered: 'pipeline.messages.dead_lettered',
  unpriced: 'pipeline.model.unpriced',
} as const;

/** Outcomes of one try at a deployment, or of a call that no deployment could take (`paced`). */
export type ModelCallOutcome = 'ok' | 'throttled' | 'failed' | 'failed_over' | 'paced' | 'circuit_open';

interface Instruments {
  readonly jobsAccepted: Counter;
  readonly jobsFinished: Counter;
  readonly stageDuration: Histogram;
  readonly queueWait: Histogram;
  readonly tokenUsage: Histogram;
  readonly cost: Counter;
  readonly modelCalls: Counter;
  readonly webhookAttempts: Counter;
  readonly deadLettered: Counter;
  readonly unpriced: Counter;
}

// Seconds, as the OpenTelemetry conventions ask for durations; buckets from a few ms to a day of backoff.
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];

function create(provider: MeterProvider): Instruments {
  const meter = provider.getMeter('prompt-pipeline');
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } };
  return {
    jobsAccepted: meter.createCounter(METRIC_NAMES.jobsAccepted, {
      description: 'Jobs created (a repeated Idempotency-Key is not counted)',
      unit: '{job}',
    }),
    jobsFinished: meter.createCounter(METRIC_NAMES.jobsFinished, {
      description: 'Jobs that reached a terminal status',
      unit: '{job}',
    }),
    stageDuration: meter.createHistogram(METRIC_NAMES.stageDuration, {
      description: 'Time one stage invocation took',
      ...seconds,
    }),
    queueWait: meter.createHistogram(METRIC_NAMES.queueWait, {
      description: 'Time from enqueue (or the scheduled time) to the start of the stage',
      ...seconds,
    }),
    tokenUsage: meter.createHistogram(METRIC_NAMES.tokenUsage, {
      description: 'Tokens per model call, by gen_ai.token.type',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    cost: meter.createCounter(METRIC_NAMES.cost, { description: 'Cost of finished jobs', unit: 'USD' }),
    modelCalls: meter.createCounter(METRIC_NAMES.modelCalls, {
      description: 'Tries at a model deployment, and calls paced before any try, by outcome',
      unit: '{call}',
    }),
    webhookAttempts: meter.createCounter(METRIC_NAMES.webhookAttempts, {
      description: 'Webhook delivery attempts by outcome',
      unit: '{attempt}',
    }),
    deadLettered: meter.createCounter(METRIC_NAMES.deadLettered, {
      description: 'Messages sent to a dead-letter sub-queue, by queue and DeadLetterReason',
      unit: '{message}',
    }),
    unpriced: meter.createCounter(METRIC_NAMES.unpriced, {
      description: 'Completions of a model with no configured price: their cost is unknown, not 0',
      unit: '{completion}',
    }),
  };
}

let current: { provider: MeterProvider; instruments: Instruments } | undefined;

/**
 * The instruments of the meter provider registered now. The API has no proxy meter provider, so
 * instruments made before an SDK registers would stay no-ops forever; checking the provider per use
 * costs one comparison.
 */
function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (current?.provider !== provider) current = { provider, instruments: create(provider) };
  return current.instruments;
}

export const recordJobAccepted = (tenantId: string, source: 'http' | 'queue'): void =>
  instruments().jobsAccepted.add(1, { 'tenant.id': tenantId, 'job.source': source });

export function recordJobFinished(
  tenantId: string,
  status: string,
  cost?: { readonly model: string; readonly usd: number },
): void {
  const { jobsFinished, cost: costCounter } = instruments();
  jobsFinished.add(1, { 'tenant.id': tenantId, 'job.status': status });
  if (cost && cost.usd > 0) {
    costCounter.add(cost.usd, { 'tenant.id': tenantId, 'gen_ai.response.model': cost.model });
  }
}

/** A warning signal: a model answered that the price table does not know. */
export const recordUnpriced = (tenantId: string, model: string): void =>
  instruments().unpriced.add(1, { 'tenant.id': tenantId, 'gen_ai.response.model': model });

export const recordStageDuration = (stage: string, outcome: string, seconds: number): void =>
  instruments().stageDuration.record(seconds, { 'pipeline.stage': stage, 'pipeline.outcome': outcome });

export const recordQueueWait = (queue: string, seconds: number): void =>
  instruments().queueWait.record(Math.max(0, seconds), { 'messaging.destination.name': queue });

export function recordTokens(
  attributes: { readonly tenantId: string; readonly model: string; readonly deployment: string },
  inputTokens: number,
  outputTokens: number,
): void {
  const { tokenUsage } = instruments();
  const common = {
    'tenant.id': attributes.tenantId,
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': attributes.model,
    'gen_ai.deployment': attributes.deployment,
  };
  tokenUsage.record(inputTokens, { ...common, 'gen_ai.token.type': 'input' });
  tokenUsage.record(outputTokens, { ...common, 'gen_ai.token.type': 'output' });
}

export const recordModelCall = (model: string, deployment: string, outcome: ModelCallOutcome): void =>
  instruments().modelCalls.add(1, {
    'gen_ai.request.model': model,
    'gen_ai.deployment': deployment,
    'pipeline.outcome': outcome,
  });

export const recordWebhookAttempt = (outcome: string): void =>
  instruments().webhookAttempts.add(1, { 'pipeline.outcome': outcome });

export const recordDeadLettered = (queue: string, reason: string): void =>
  instruments().deadLettered.add(1, { 'messaging.destination.name': queue, 'dead_letter.reason': reason });
