/**
 * What the functions need from the process: the typed services the composition root builds
 * (composition.ts) and getServices hands out (services.ts). Its own module, so that neither of those
 * two imports the other for the type.
 */
import type { Authenticator } from '../shared/auth/authenticate.js';
import type { Config } from '../shared/config/index.js';
import type { PayloadStore } from '../shared/messaging/claim-check.js';
import type { MessagePublisher } from '../shared/messaging/publisher.js';
import type { InvokeDeps, PostprocessDeps, StageDeps } from '../shared/stages/deps.js';
import type { JobStore } from '../shared/store/job-store.js';
import type { Logger } from '../shared/telemetry/logger.js';
import type { UsageReader } from '../shared/usage/usage-reader.js';

export interface AppServices {
  readonly config: Config;
  readonly logger: Logger;
  readonly jobs: JobStore;
  readonly payloads: PayloadStore;
  readonly publisher: MessagePublisher;
  readonly authenticator: Authenticator;
  /** Per-tenant token and cost totals. */
  readonly usage: UsageReader;
  /** Model aliases the router serves: a job asking for another is refused at submission. */
  modelAliases(): readonly string[];
  /** Dependencies of each use case, assembled once. */
  readonly stage: StageDeps;
  readonly invoke: InvokeDeps;
  readonly postprocess: PostprocessDeps;
  /** Adapters keyed by name for features that build on the core (tenants, webhooks, usage). */
  readonly extensions: Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}
