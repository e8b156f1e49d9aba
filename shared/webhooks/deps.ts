/** What the webhook use cases need, injected: ports, settings and a clock (schedules are tested by moving it). */
import type { WebhookHttpClient } from './http-client.js';
import type { Logger } from '../telemetry/logger.js';
import type { KeyWrapper } from './key-wrapper.js';
import type { WebhookSettings } from './settings.js';
import type { Resolver } from './ssrf.js';
import type { WebhookStore } from './store.js';
import type { Clock } from '../time/clock.js';

export interface WebhookDeps {
  readonly store: WebhookStore;
  readonly keys: KeyWrapper;
  readonly settings: WebhookSettings;
  readonly clock: Clock;
  /** DNS for the registration-time SSRF check; the system resolver by default. */
  readonly resolve?: Resolver;
  /** Operator log: raw network errors and resolved addresses go here, never into tenant-visible records. */
  readonly logger?: Logger;
}

export interface DeliveryDeps extends WebhookDeps {
  readonly http: WebhookHttpClient;
  /** Jitter source in [0, 1); tests pass a constant. */
  readonly random?: () => number;
}
