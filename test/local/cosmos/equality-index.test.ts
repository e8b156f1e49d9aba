/**
 * The embedded Cosmos DB's equality index (local/cosmos/equality-index.ts): queries it narrows answer
 * exactly what a full scan answers, through creates, replaces, patches and deletes; shapes it cannot
 * serve are left to the scan.
 */
import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { equalityTerms } from '../../../local/cosmos/equality-index.js';
import { startCosmosClient, type CosmosUnderTest } from '../../fakes/embedded-cosmos-client.js';

let cosmos: CosmosUnderTest;
let jobs: Container;

beforeAll(async () => {
  cosmos = await startCosmosClient();
  jobs = await cosmos.container('index-test', { id: 'jobs', partitionKey: { paths: ['/tenantId'] } });
});

afterAll(() => cosmos.close());

async function inFlight(tenantId: string): Promise<number> {
  const { resources } = await jobs.items
    .query<number>({
      query: 'SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @tenantId AND c.status = @status',
      parameters: [
        { name: '@tenantId', value: tenantId },
        { name: '@status', value: 'queued' },
      ],
    })
    .fetchAll();
  return resources[0] ?? 0;
}

async function inFlightByScan(tenantId: string): Promise<number> {
  // IN is a shape the index leaves alone: the server scans every document.
  const { resources } = await jobs.items
    .query<number>({
      query: 'SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @tenantId AND c.status IN ("queued")',
      parameters: [{ name: '@tenantId', value: tenantId }],
    })
    .fetchAll();
  return resources[0] ?? 0;
}

describe('equality index', () => {
  test('finds the terms of plain AND clauses only', () => {
    expect(
      equalityTerms('SELECT * FROM c WHERE c.tenantId = @t AND c.kind = "endpoint" ORDER BY c.createdAt'),
    ).toEqual([{ path: 'tenantId', parameter: '@t' }]);
    expect(equalityTerms('SELECT * FROM c WHERE c.a.b = @x AND IS_NUMBER(c.n)')).toEqual([
      { path: 'a.b', parameter: '@x' },
    ]);
    expect(equalityTerms('SELECT * FROM c WHERE c.a = @x OR c.b = @y')).toEqual([]);
    expect(equalityTerms('SELECT * FROM c WHERE NOT (c.a = @x)')).toEqual([]);
    expect(equalityTerms('SELECT * FROM c')).toEqual([]);
  });

  test('answers as a full scan does while documents are created, patched, replaced and deleted', async () => {
    for (let i = 0; i < 30; i += 1) {
      await jobs.items.create({ id: `j${i}`, tenantId: i % 3 === 0 ? 'b' : 'a', status: 'queued' });
    }
    expect(await inFlight('a')).toBe(20);
    expect(await inFlight('a')).toBe(await inFlightByScan('a'));
    await jobs.item('j1', 'a').patch([{ op: 'set', path: '/status', value: 'succeeded' }]);
    const { resource } = await jobs.item('j2', 'a').read<Record<string, unknown>>();
    await jobs.item('j2', 'a').replace({ ...resource, status: 'failed' });
    await jobs.item('j4', 'a').delete();
    await jobs.items.upsert({ id: 'j5', tenantId: 'a', status: 'cancelled' });
    await jobs.items.create({ id: 'late', tenantId: 'a', status: 'queued' });
    expect(await inFlight('a')).toBe(17);
    expect(await inFlightByScan('a')).toBe(17);
    expect(await inFlight('b')).toBe(10);
    expect(await inFlight('nobody')).toBe(0);
  });
});
