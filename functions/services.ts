/**
 * Process-wide services, created on first use. Importing the function registrations stays cheap (the
 * Functions host imports them at start-up): the Azure SDKs load and clients connect only when the first
 * invocation asks for them.
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

let services: Promise<AppServices> | undefined;

export function getServices(): Promise<AppServices> {
  services ??= import('./composition.js').then((composition) => composition.createServices());
  // A failed start (bad config, unreachable endpoint) is not cached: the next invocation tries again.
  services.catch(() => {
    services = undefined;
  });
  return services;
}

/** For the dev host and tests: use these services instead of building them from the environment. */
export function useServices(replacement: AppServices | undefined): void {
  services = replacement ? Promise.resolve(replacement) : undefined;
}

export async function closeServices(): Promise<void> {
  const current = services;
  services = undefined;
  if (current) await (await current).close();
}
