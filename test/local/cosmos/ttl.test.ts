/**
 * Time to live in the embedded Cosmos DB through the real SDK, by the rules the service documents:
 * container defaultTtl absent → nothing expires; -1 → only items with their own ttl; n → every item
 * n seconds after its last write unless its own ttl says otherwise (-1: never).
 */
import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expiryOf } from '../../../local/cosmos/ttl.js';
import { startCosmosClient, type CosmosUnderTest } from '../../fakes/embedded-cosmos-client.js';

let cosmos: CosmosUnderTest;
const containers: Record<'none' | 'minusOne' | 'two', Container> = {} as never;

beforeAll(async () => {
  cosmos = await startCosmosClient();
  const make = (id: string, defaultTtl?: number) =>
    cosmos.container('ttl', {
      id,
      partitionKey: { paths: ['/pk'] },
      ...(defaultTtl === undefined ? {} : { defaultTtl }),
    });
  containers.none = await make('none');
  containers.minusOne = await make('minus-one', -1);
  containers.two = await make('two', 2);
});

afterAll(() => cosmos.close());

const exists = async (container: Container, id: string): Promise<boolean> =>
  (await container.item(id, 'p').read()).statusCode === 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('embedded Cosmos DB time to live', () => {
  test('the expiry rules, as documented', () => {
    const at = { _ts: 1_000 };
    expect(expiryOf({ ...at, ttl: 5 }, {})).toBeUndefined();
    expect(expiryOf({ ...at, ttl: 5 }, { defaultTtl: null })).toBeUndefined();
    expect(expiryOf(at, { defaultTtl: -1 })).toBeUndefined();
    expect(expiryOf({ ...at, ttl: 5 }, { defaultTtl: -1 })).toBe(1_005);
    expect(expiryOf(at, { defaultTtl: 60 })).toBe(1_060);
    expect(expiryOf({ ...at, ttl: 5 }, { defaultTtl: 60 })).toBe(1_005);
    expect(expiryOf({ ...at, ttl: -1 }, { defaultTtl: 60 })).toBeUndefined();
  });

  test('items expire by their own ttl or the container default, and leave queries too', async () => {
    await containers.none.items.create({ id: 'kept', pk: 'p', ttl: 1 });
    await containers.minusOne.items.create({ id: 'own', pk: 'p', ttl: 1 });
    await containers.minusOne.items.create({ id: 'forever', pk: 'p' });
    await containers.two.items.create({ id: 'default', pk: 'p' });
    await containers.two.items.create({ id: 'never', pk: 'p', ttl: -1 });

    await sleep(3_300);
    expect(await exists(containers.none, 'kept')).toBe(true);
    expect(await exists(containers.minusOne, 'own')).toBe(false);
    expect(await exists(containers.minusOne, 'forever')).toBe(true);
    expect(await exists(containers.two, 'default')).toBe(false);
    expect(await exists(containers.two, 'never')).toBe(true);
    const { resources } = await containers.two.items
      .query<{ id: string }>('SELECT c.id FROM c WHERE c.pk = "p"')
      .fetchAll();
    expect(resources.map((item) => item.id)).toEqual(['never']);
  });

  test('a write restarts the clock, and setting ttl on a later write starts one', async () => {
    const item = containers.minusOne.item('rewritten', 'p');
    await containers.minusOne.items.create({ id: 'rewritten', pk: 'p', ttl: 2 });
    await sleep(1_200);
    await item.replace({ id: 'rewritten', pk: 'p', ttl: 3 });
    await sleep(1_500);
    // The first write's expiry has passed; the replace moved it on.
    expect(await exists(containers.minusOne, 'rewritten')).toBe(true);
    await containers.minusOne.items.create({ id: 'finished-later', pk: 'p' });
    await containers.minusOne.item('finished-later', 'p').replace({ id: 'finished-later', pk: 'p', ttl: 1 });
    await sleep(3_200);
    expect(await exists(containers.minusOne, 'rewritten')).toBe(false);
    expect(await exists(containers.minusOne, 'finished-later')).toBe(false);
  });
});
