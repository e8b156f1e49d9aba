/**
 * What the functions need from the process: the typed services the composition root builds
 * (composition.ts) and getServices hands out (services.ts). Its own module, so that neither of those
 * two imports the other for the type.
 */
import type { Database } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import type { Authenticator } from '../shared/auth/authenticate.js';
import type { Config } from '../shared/config/index.js';
import type { PayloadStore } from '../shared/messaging/claim-check.js';
import type { DeadLetterQueues } from '../shared/messaging/dead-letters.js';
import type { MessagePublisher } from '../shared/messaging/publisher.js';
import type { AcceptDeps, InvokeDeps, PostprocessDeps, StageDeps } from '../shared/pipeline/deps.js';
import type { JobStore } from '../shared/jobs/job-store.js';
import type { JobWatcher } from '../shared/watch/job-watcher.js';
import type { Logger } from '../shared/telemetry/logger.js';
import type { SecurityServices } from '../shared/tenancy/security-services.js';
import type { UsageRollupStore } from '../shared/tenancy/usage-rollup.js';
import type { UsageReader } from '../shared/cosmos/usage-reader.js';
import type { DeliverStageDeps } from '../shared/pipeline/deliver.js';
import type { FileStore } from '../shared/files/store.js';
import type { FilesDeps } from '../shared/files/upload.js';
import type { BatchDeps } from '../shared/batches/deps.js';
import type { CapacitySweepDeps } from '../shared/capacity/sweep.js';
import type { BulkSender } from '../shared/batches/ports.js';

export interface AppServices {
  readonly config: Config;
  readonly logger: Logger;
  /** The managed identity in Azure (DefaultAzureCredential elsewhere), created on first use. */
  readonly credential: () => TokenCredential;
  /** The Cosmos database whose containers the stores use; the domain services below are built on it. */
  readonly database: Database;
  readonly jobs: JobStore;
  /** Clients waiting on jobs (long poll, event stream) learn of their end here (shared/watch/). */
  readonly jobWatcher: JobWatcher;
  readonly payloads: PayloadStore;
  readonly publisher: MessagePublisher;
  /** The stage queues' dead-letter sub-queues: recovery and the operators' dead-letter routes. */
  readonly deadLetters: DeadLetterQueues;
  readonly authenticator: Authenticator;
  /** Per-tenant token and cost totals. */
  readonly usage: UsageReader;
  /** Daily per-tenant rollups, kept after the jobs expire. */
  readonly usageRollups: UsageRollupStore;
  /** Where uploaded files live (Blob Storage); its client is created on first use. */
  readonly fileStore: FileStore;
  /** The Files API: the store with the configured limits. */
  readonly files: FilesDeps;
  /** Batched Service Bus sends (batch fan-out); absent where a host wires its own core without one. */
  readonly bulkSender?: BulkSender;
  /** The Batches API and its sweep (shared/batches). */
  readonly batches: BatchDeps;
  /** Routing by deadline: the capacity sweep's Global Batch deployments, providers and parked lines. */
  readonly capacity: CapacitySweepDeps;
  /** Model aliases the router serves: a job asking for another is refused at submission. */
  modelAliases(): readonly string[];
  /** Dependencies of each use case, assembled once. */
  readonly stage: StageDeps;
  readonly invoke: InvokeDeps;
  readonly postprocess: PostprocessDeps;
  /**
   * accept (HTTP and the intake queue): `stage` plus the endpoint check, so a job naming an endpoint that
   * is not the tenant's own and enabled is refused at submission.
   */
  readonly accept: AcceptDeps;
  /**
   * persist and cancel: `stage` plus the subscriber check, so a job whose tenant has no endpoint for its
   * event skips the `deliver` hop.
   */
  readonly events: StageDeps;
  /** Tenant and key stores, the submission gate (limits, model allow-list, budget), the admin use cases. */
  readonly security: SecurityServices;
  /** The webhook adapters: endpoint store, key wrapper, SSRF-guarded HTTP client, settings. */
  readonly webhooks: DeliverStageDeps;
  close(): Promise<void>;
}

/**
 * What a host builds itself (clients, stores, the core stage dependencies); composeServices
 * (composition.ts) derives the rest from it, so tests that wire their own clients get the same domain
 * services as production.
 */
export type CoreServices = Omit<
  AppServices,
  'accept' | 'events' | 'security' | 'webhooks' | 'files' | 'batches' | 'capacity' | 'jobWatcher'
> & { readonly jobWatcher?: JobWatcher };
