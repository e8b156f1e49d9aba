/**
 * The subscriber check persist and cancel use to skip the `deliver` hop, against the embedded Cosmos DB
 * through the real SDK and the same EndpointCachingStore the deliver stage reads. Every case also runs
 * planDeliveries on the same event: "skipped" must only ever happen where deliver would find no target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { planDeliveries } from '../../../shared/webhooks/delivery.js';
import type { WebhookDeps } from '../../../shared/webhooks/deps.js';
import { EndpointCachingStore } from '../../../shared/webhooks/endpoint-cache.js';
import { disableEndpoint, registerEndpoint } from '../../../shared/webhooks/endpoints.js';
import type { JobEvent } from '../../../shared/webhooks/events.js';
import { webhookSubscribers } from '../../../shared/webhooks/subscribers.js';
import { jobEvent, startHarness, type Harness } from './harness.js';

let harness: Harness;
let deps: WebhookDeps;

beforeAll(async () => {
  harness = await startHarness();
  // A long TTL: a stale cache would make the "registered through it" case fail instead of pass by luck.
  deps = { ...harness.deps, store: new EndpointCachingStore(harness.deps.store, 60_000) };
}, 30_000);
afterAll(() => harness.close());

const tenant = () => `t_${randomUUID().slice(0, 8)}`;

async function wantsAndPlans(event: JobEvent): Promise<{ wants: boolean; planned: number }> {
  const wants = await webhookSubscribers(deps.store).wants(event);
  const planned = (await planDeliveries(deps, event)).length;
  return { wants, planned };
}

describe('webhookSubscribers', () => {
  it('says no for a tenant without endpoints, where deliver plans nothing', async () => {
    expect(await wantsAndPlans(jobEvent(tenant()))).toEqual({ wants: false, planned: 0 });
  });

  it('says yes when an enabled endpoint subscribes to the event type', async () => {
    const tenantId = tenant();
    await registerEndpoint(deps, tenantId, { url: 'http://127.0.0.1:9/a', eventTypes: ['job.succeeded'] });
    expect(await wantsAndPlans(jobEvent(tenantId))).toEqual({ wants: true, planned: 1 });
  });

  it('says no when the endpoints subscribe to other event types only', async () => {
    const tenantId = tenant();
    await registerEndpoint(deps, tenantId, { url: 'http://127.0.0.1:9/a', eventTypes: ['job.failed'] });
    await registerEndpoint(deps, tenantId, { url: 'http://127.0.0.1:9/b', eventTypes: ['job.cancelled'] });
    expect(await wantsAndPlans(jobEvent(tenantId))).toEqual({ wants: false, planned: 0 });
    const failed = jobEvent(tenantId, { type: 'job.failed', status: 'failed' });
    expect(await wantsAndPlans(failed)).toEqual({ wants: true, planned: 1 });
  });

  it('says no when the only subscribed endpoint is disabled, and yes again once another is added', async () => {
    const tenantId = tenant();
    const { endpoint } = await registerEndpoint(deps, tenantId, { url: 'http://127.0.0.1:9/a' });
    expect(await wantsAndPlans(jobEvent(tenantId))).toEqual({ wants: true, planned: 1 });
    await disableEndpoint(deps, tenantId, endpoint.id, 'HTTP 410', new Date());
    // Written through the caching store: seen at once, not after the 60 s TTL.
    expect(await wantsAndPlans(jobEvent(tenantId))).toEqual({ wants: false, planned: 0 });
    await registerEndpoint(deps, tenantId, { url: 'http://127.0.0.1:9/b' });
    expect(await wantsAndPlans(jobEvent(tenantId))).toEqual({ wants: true, planned: 1 });
  });

  it('says yes for a job naming its own endpoint, leaving the decision to deliver', async () => {
    const tenantId = tenant();
    const wants = webhookSubscribers(deps.store);
    expect(await wants.wants({ tenantId, type: 'job.succeeded', webhookEndpointId: 'we_unknown' })).toBe(
      true,
    );
    // The tenant has no endpoints at all: only the job's own endpoint id made the answer yes.
    expect(await wants.wants({ tenantId, type: 'job.succeeded' })).toBe(false);
  });
});
