/**
 * The per-instance tenant cache on the submission path: one read per tenant per ttl, and concurrent
 * misses share that read (no burst of identical reads when the entry expires under load).
 */
import { describe, expect, test } from 'vitest';
import { CachedTenantReader, type TenantStore } from '../../../shared/tenancy/store.js';
import { tenantFixture } from '../../security/tenants-fixture.js';

function countingStore(): { store: Pick<TenantStore, 'get'>; reads: () => number } {
  let reads = 0;
  return {
    store: {
      get: (tenantId) => {
        reads += 1;
        // Answers on a later tick, as a Cosmos read would.
        return new Promise((resolve) =>
          setImmediate(() => resolve({ tenant: tenantFixture(tenantId), etag: `"${reads}"` })),
        );
      },
    },
    reads: () => reads,
  };
}

describe('CachedTenantReader', () => {
  test('concurrent misses share one read, and the ttl bounds staleness', async () => {
    const { store, reads } = countingStore();
    let clock = 0;
    const cached = new CachedTenantReader(store, 30_000, () => clock);
    const tenants = await Promise.all(Array.from({ length: 16 }, () => cached.get('a')));
    expect(tenants.every((tenant) => tenant?.id === 'a')).toBe(true);
    expect(reads()).toBe(1);
    clock += 29_999;
    await cached.get('a');
    expect(reads()).toBe(1);
    clock += 1;
    await Promise.all([cached.get('a'), cached.get('a'), cached.get('b')]);
    expect(reads()).toBe(3);
  });
});
