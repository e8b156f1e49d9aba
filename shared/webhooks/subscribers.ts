/**
 * The stages' `subscribers` port over the webhook store: answers "could the deliver
 * stage find a target for this event?" so persist and cancel skip the `deliver` hop when it could not.
 *
 * Equivalence with the deliver stage: planDeliveries (./delivery.ts) targets the job's own endpoint when it
 * names one, else every endpoint of the tenant that `receives` the event type, from `listEndpoints`. Here a
 * job naming its endpoint always answers true (the deliver stage reads that endpoint and decides), and
 * otherwise the same `receives` predicate runs over the same `listEndpoints`. Pass the SAME
 * EndpointCachingStore instance the deliver stage and the webhook API use: a write through the API on this
 * instance drops the tenant's cached list at once, so an endpoint registered here is seen by the next job;
 * other instances see it within the cache TTL (5 s), the staleness the deliver stage already accepts. An
 * event skipped here is therefore one the deliver stage, reading that same list, would have dropped.
 */
import type { JobEventType } from '../jobs/events.js';
import { receives } from './delivery.js';
import type { WebhookStore } from './store.js';

/** The part of a job event that decides whether anyone could receive it. */
export interface SubscriptionQuery {
  readonly tenantId: string;
  readonly type: JobEventType;
  readonly webhookEndpointId?: string;
}

/**
 * Whether a job's event has a possible receiver. A tenant without webhook endpoints would otherwise pay a
 * `deliver` hop (1 send, 1 receive, 1 complete) per job that ends in "no target".
 */
export interface Subscribers {
  wants(event: SubscriptionQuery): Promise<boolean>;
}

export function webhookSubscribers(store: Pick<WebhookStore, 'listEndpoints'>): Subscribers {
  return {
    async wants(event: SubscriptionQuery): Promise<boolean> {
      if (event.webhookEndpointId) return true;
      const endpoints = await store.listEndpoints(event.tenantId);
      return endpoints.some((endpoint) => receives(endpoint, event.type));
    },
  };
}
