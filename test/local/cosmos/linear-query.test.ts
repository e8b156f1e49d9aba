/**
 * The embedded Cosmos DB's queries run in time linear in the documents they read
 * (local/cosmos/linear-query.ts): the compiled query appends to its accumulator instead of copying it,
 * answers as before (plain filters, aggregates, ORDER BY, JOINs), and the token-budget aggregate over
 * 20,000 jobs of one tenant takes well under a second (22 s before: O(n²)).
 */
import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendInPlace } from '../../../local/cosmos/linear-query.js';
import { startCosmosClient, type CosmosUnderTest } from '../../fakes/embedded-cosmos-client.js';

let cosmos: CosmosUnderTest;
let jobs: Container;

const JOBS = 20_000;

beforeAll(async () => {
  cosmos = await startCosmosClient();
  jobs = await cosmos.container('linear-test', { id: 'jobs', partitionKey: { paths: ['/tenantId'] } });
  const day = new Date(Date.UTC(2026, 0, 2)).getTime();
  for (let start = 0; start < JOBS; start += 500) {
    const operations = Array.from({ length: 500 }, (_, i) => {
      const n = start + i;
      return {
        operationType: 'Create' as const,
        resourceBody: {
          id: `job-${n}`,
          tenantId: 'soak',
          status: n % 10 === 0 ? 'queued' : 'succeeded',
          completedAt: new Date(day + n * 1_000).toISOString(),
          usage: { totalTokens: 10 },
          tags: n < 3 ? [{ name: `t${n}` }, { name: 'shared' }] : [],
        },
      };
    });
    // Batches of the same partition: far faster to fill than one create per request.
    for (let i = 0; i < operations.length; i += 100) {
      await jobs.items.batch(operations.slice(i, i + 100), 'soak');
    }
  }
}, 120_000);

afterAll(() => cosmos.close());

describe('linear query accumulation', () => {
  test('an array literal that spreads the accumulator first becomes a push onto it', () => {
    const accumulator = { type: 'Identifier', name: '$' };
    const rewritten = appendInPlace({
      type: 'ArrayExpression',
      elements: [
        { type: 'SpreadElement', argument: accumulator },
        { type: 'ObjectExpression', properties: [] },
      ],
    });
    expect(rewritten).toMatchObject({
      type: 'SequenceExpression',
      expressions: [
        { type: 'CallExpression', callee: { object: accumulator, property: { name: 'push' } } },
        accumulator,
      ],
    });
    // Any other array literal is left as it is.
    const other = { type: 'ArrayExpression', elements: [{ type: 'Identifier', name: 'x' }] };
    expect(appendInPlace(structuredClone(other))).toEqual(other);
  });

  test('the token-budget aggregate over 20,000 jobs of one tenant is linear, and right', async () => {
    const started = performance.now();
    const { resources } = await jobs.items
      .query<number>({
        query:
          'SELECT VALUE SUM(c.usage.totalTokens) FROM c WHERE c.tenantId = @tenantId AND c.completedAt >= @since AND IS_NUMBER(c.usage.totalTokens)',
        parameters: [
          { name: '@tenantId', value: 'soak' },
          { name: '@since', value: new Date(Date.UTC(2026, 0, 2, 5)).toISOString() },
        ],
      })
      .fetchAll();
    const elapsedMs = performance.now() - started;
    // From 05:00 on: jobs 18,000 to 19,999.
    expect(resources).toEqual([2_000 * 10]);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  test('ORDER BY, TOP and JOIN answer as before', async () => {
    const { resources: oldest } = await jobs.items
      .query<{ id: string }>({
        query:
          "SELECT TOP 3 c.id FROM c WHERE c.status = 'queued' AND c.completedAt < @before ORDER BY c.completedAt",
        parameters: [{ name: '@before', value: '2030-01-01' }],
      })
      .fetchAll();
    expect(oldest.map((r) => r.id)).toEqual(['job-0', 'job-10', 'job-20']);
    const { resources: tags } = await jobs.items
      .query<{ id: string; name: string }>('SELECT c.id, t.name FROM c JOIN t IN c.tags')
      .fetchAll();
    expect(tags).toHaveLength(6);
    expect(tags.filter((t) => t.name === 'shared').map((t) => t.id)).toEqual(['job-0', 'job-1', 'job-2']);
  });
});
