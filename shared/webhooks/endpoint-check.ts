/**
 * The stages' `webhookEndpoints` port over the webhook store: where a job's named
 * endpoint stands for its tenant. One point read in the tenant's partition, not the cached endpoint list:
 * an endpoint registered a moment ago on another instance must not be refused, and only jobs that name an
 * endpoint pay for the read.
 */
import type { WebhookStore } from './store.js';

/** Where a job's `webhook_endpoint_id` stands for its tenant. Another tenant's endpoint is `unknown`. */
export type EndpointStanding = 'enabled' | 'disabled' | 'unknown';

/**
 * Whether an endpoint id names one of the tenant's own endpoints, and whether it is enabled. Accept asks
 * before creating a job that names one, so a typo or a foreign id is a 400 now rather than an event the
 * deliver stage can only drop hours later.
 */
export interface WebhookEndpointCheck {
  standing(tenantId: string, endpointId: string): Promise<EndpointStanding>;
}

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
