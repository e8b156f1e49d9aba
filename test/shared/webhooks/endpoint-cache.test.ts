import { describe, expect, it } from 'vitest';
import { EndpointCachingStore } from '../../../shared/webhooks/endpoint-cache.js';
import type { EndpointRecord } from '../../../shared/webhooks/records.js';
import type { WebhookStore } from '../../../shared/webhooks/store.js';

function countingStore(endpoints: EndpointRecord[]): WebhookStore & { lists: number } {
  const store = {
    lists: 0,
    listEndpoints: () => {
      store.lists += 1;
      return Promise.resolve([...endpoints]);
    },
    createEndpoint: (endpoint: EndpointRecord) => {
      endpoints.push(endpoint);
      return Promise.resolve();
    },
    replaceEndpoint: () => Promise.resolve(true),
  };
  return store as unknown as WebhookStore & { lists: number };
}

const endpoint = (id: string) => ({ id, tenantId: 't' }) as unknown as EndpointRecord;

describe('EndpointCachingStore', () => {
  it('lists once per TTL per tenant, and concurrent misses share one query', async () => {
    let now = 0;
    const inner = countingStore([endpoint('a')]);
    const store = new EndpointCachingStore(inner, 5_000, () => now);
    await Promise.all([store.listEndpoints('t'), store.listEndpoints('t'), store.listEndpoints('t')]);
    now = 4_999;
    await store.listEndpoints('t');
    expect(inner.lists).toBe(1);
    now = 5_000;
    await store.listEndpoints('t');
    expect(inner.lists).toBe(2);
  });

  it('sees an endpoint registered through it at once', async () => {
    const inner = countingStore([endpoint('a')]);
    const store = new EndpointCachingStore(inner, 60_000, () => 0);
    expect(await store.listEndpoints('t')).toHaveLength(1);
    await store.createEndpoint(endpoint('b'));
    expect((await store.listEndpoints('t')).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('does not cache a failed query', async () => {
    let fail = true;
    const inner = {
      listEndpoints: () => (fail ? Promise.reject(new Error('503')) : Promise.resolve([endpoint('a')])),
    } as unknown as WebhookStore;
    const store = new EndpointCachingStore(inner, 60_000, () => 0);
    await expect(store.listEndpoints('t')).rejects.toThrow('503');
    fail = false;
    expect(await store.listEndpoints('t')).toHaveLength(1);
  });
});
