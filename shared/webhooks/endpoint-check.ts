/**
 * The stages' `webhookEndpoints` port (shared/stages/deps.ts) over the webhook store: where a job's named
 * endpoint stands for its tenant. One point read in the tenant's partition, not the cached endpoint list:
 * an endpoint registered a moment ago on another instance must not be refused, and only jobs that name an
 * endpoint pay for the read.
 */
import type { EndpointStanding, WebhookEndpointCheck } from '../stages/deps.js';
import type { WebhookStore } from './store.js';

export function webhookEndpointCheck(store: Pick<WebhookStore, 'getEndpoint'>): WebhookEndpointCheck {
  return {
    async standing(tenantId: string, endpointId: string): Promise<EndpointStanding> {
      // Partitioned by tenant: another tenant's endpoint with this id is simply not found here.
      const found = await store.getEndpoint(tenantId, endpointId);
      if (!found) return 'unknown';
      return found.value.enabled ? 'enabled' : 'disabled';
    },
  };
}
