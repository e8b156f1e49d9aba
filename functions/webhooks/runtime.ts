/**
 * The webhook adapters, built once per process from the app's services: the `webhooks` container, the KEK
 * wrapper, the SSRF-guarded HTTP client. Kept out of composition.ts (which the core owns) by building on
 * `services.extensions.cosmosDatabase`; a test or host may supply `extensions.webhooks` instead.
 */
import type { Database } from '@azure/cosmos';
import { CosmosWebhookStore } from '../../shared/webhooks/cosmos-store.js';
import { EndpointCachingStore } from '../../shared/webhooks/endpoint-cache.js';
import type { DeliverStageDeps } from '../../shared/webhooks/deliver-stage.js';
import { createWebhookHttpClient } from '../../shared/webhooks/http-client.js';
import { LocalKeyWrapper } from '../../shared/webhooks/key-wrapper.js';
import { kekFromConfig, webhookSettingsFromConfig } from '../../shared/webhooks/settings.js';
import type { AppServices } from '../app-services.js';

const runtimes = new WeakMap<AppServices, DeliverStageDeps>();

/**
 * Structural, not `instanceof Database`: a value import of @azure/cosmos here would load the whole SDK
 * (~400 modules) when the Functions host imports the registrations, long before a client is needed
 * (start-up benchmark, bench/startup.ts).
 */
const isCosmosDatabase = (value: unknown): value is Database =>
  typeof value === 'object' && value !== null && typeof (value as Database).container === 'function';

export function webhookRuntime(services: AppServices): DeliverStageDeps {
  const supplied = services.extensions.webhooks as DeliverStageDeps | undefined;
  if (supplied) return supplied;
  let runtime = runtimes.get(services);
  if (!runtime) {
    const database = services.extensions.cosmosDatabase;
    if (!isCosmosDatabase(database)) {
      throw new Error('Webhooks need services.extensions.cosmosDatabase (set by functions/composition.ts)');
    }
    const settings = webhookSettingsFromConfig(services.config);
    runtime = {
      // Endpoint lists cached a few seconds: no query per job in deliver (shared/webhooks/endpoint-cache.ts).
      store: new EndpointCachingStore(new CosmosWebhookStore(database.container('webhooks'))),
      keys: new LocalKeyWrapper(kekFromConfig(services.config)),
      settings,
      now: () => new Date(),
      http: createWebhookHttpClient({
        policy: settings.policy,
        timeoutMs: settings.timeoutMs,
        maxResponseBytes: settings.maxResponseBytes,
      }),
      publisher: services.publisher,
      logger: services.logger.child({ component: 'webhooks' }),
    };
    runtimes.set(services, runtime);
  }
  return runtime;
}
