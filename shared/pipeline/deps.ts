/**
 * What the stage use cases need, as ports. The composition root (functions/composition.ts) builds the real
 * adapters once per process; unit tests pass in-memory fakes.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Clock } from '../time/clock.js';
import type { JobStore } from '../jobs/job-store.js';
import type { JobDocument } from '../jobs/job.js';
import type { MessagePublisher } from '../messaging/publisher.js';
import type { ModelClient } from '../model/port.js';
import type { ModelUsage } from '../model/port.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { CompletionRecords } from './completion-records.js';
import type { SchemaWork } from '../schemas/schema-work.js';
import type { WebhookEndpointCheck } from '../webhooks/endpoint-check.js';
import type { Subscribers } from '../webhooks/subscribers.js';

export interface PipelineSettings {
  /** Model attempts before a job fails with `attempts_exhausted`. */
  readonly maxAttempts: number;
  /** How long after acceptance a job may still be retried. */
  readonly deadlineMs: number;
  /** Terminal job documents expire after this (Cosmos TTL). */
  readonly retentionSeconds: number;
  /** The queues' duplicate-detection window: re-sending inside it is free of double work. */
  readonly duplicateWindowMs: number;
  /** When a job sets no `expires_after`: expire it this long after acceptance; absent means never. */
  readonly defaultExpiresAfterMs?: number;
}

/** Prices a completion in USD (the model layer's price table); undefined when the model has no price. */
export type CostCalculator = (usage: ModelUsage, model: string, deployment: string) => number | undefined;

export interface StageDeps {
  readonly jobs: JobStore;
  readonly publisher: MessagePublisher;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly settings: PipelineSettings;
  /** Absent means "always send to deliver": the deliver stage then decides whether anyone receives it. */
  readonly subscribers?: Subscribers;
  /** Where heavy tenant schemas are checked and applied; absent means on this thread (tests). */
  readonly schemas?: SchemaWork;
  /**
   * Told of each job the cancel use case ended: routing by deadline (shared/capacity) marks the job's
   * line parked for a Global Batch so it is left out of the provider's file. Absent: nothing to tell.
   */
  readonly onCancelled?: (job: JobDocument) => Promise<void>;
}

export interface AcceptDeps extends StageDeps {
  readonly webhookEndpoints: WebhookEndpointCheck;
}

export interface InvokeDeps extends StageDeps {
  readonly model: ModelClient;
  /** Each attempt's completion, kept before it goes on: a repeated delivery passes it on, not pays again. */
  readonly completions: CompletionRecords;
  /** Prices the tokens of a completion paid for on top of the one the job went on with. */
  readonly costOf: CostCalculator;
  /**
   * The longest a model call can still run after its delivery's lock was lost (the model timeout for
   * each deployment a call may try, plus a margin): a repeated delivery waits this long before it may
   * call the model itself (modelCallBoundMs in shared/pipeline/invoke-repeat.ts).
   */
  readonly modelCallBoundMs: number;
  /**
   * Routing by deadline (shared/capacity): true when the call went elsewhere (parked for a Global Batch
   * deployment, or background work deferred while real-time deployments are busy). Absent: call now.
   */
  readonly routeCapacity?: (message: InvokeMessage, trace: TraceContext, now: number) => Promise<boolean>;
}

export interface PostprocessDeps extends StageDeps {
  readonly costOf: CostCalculator;
}
