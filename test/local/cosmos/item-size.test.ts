/**
 * The embedded Cosmos DB refuses an item over 2 MB as Azure Cosmos DB does (413 RequestEntityTooLarge),
 * through @azure/cosmos: single writes throw an ErrorResponse with that code and body, a bulk request
 * answers 413 for the large operation alone and writes the others.
 */
import { Buffer } from 'node:buffer';
import { ErrorResponse, type Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_ITEM_BYTES } from '../../../local/cosmos/item-size.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';

let db: TestDatabase;
let jobs: Container;

beforeAll(async () => {
  db = await startTestDatabase();
  jobs = db.database.container('jobs');
});

afterAll(async () => {
  await db?.close();
});

const TENANT = 't-size';

/** An item whose JSON is exactly `bytes` long. */
function itemOf(id: string, bytes: number): { id: string; tenantId: string; pad: string } {
  const empty = JSON.stringify({ id, tenantId: TENANT, pad: '' }).length;
  return { id, tenantId: TENANT, pad: 'x'.repeat(bytes - empty) };
}

async function refusal(call: Promise<unknown>): Promise<ErrorResponse> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ErrorResponse) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

function expectTooLarge(error: ErrorResponse): void {
  expect(error.code).toBe(413);
  expect(error.body?.code).toBe('RequestEntityTooLarge');
  expect(error.body?.message).toContain('Request size is too large');
}

describe('the 2 MB item limit', () => {
  test('an item of exactly 2 MB is stored; one byte more is refused and nothing is written', async () => {
    const atLimit = itemOf('size-at', MAX_ITEM_BYTES);
    expect(JSON.stringify(atLimit).length).toBe(2_097_152);
    expect((await jobs.items.create(atLimit)).statusCode).toBe(201);

    expectTooLarge(await refusal(jobs.items.create(itemOf('size-over', MAX_ITEM_BYTES + 1))));
    expect((await jobs.item('size-over', TENANT).read()).statusCode).toBe(404);
  });

  test('a multi-byte character counts by its UTF-8 bytes', async () => {
    const empty = JSON.stringify({ id: 'size-utf8', tenantId: TENANT, pad: '' }).length;
    // 'é' is one UTF-16 unit but two UTF-8 bytes: about 1 M characters, just over 2 MB in UTF-8.
    const item = {
      id: 'size-utf8',
      tenantId: TENANT,
      pad: 'é'.repeat(Math.ceil((MAX_ITEM_BYTES - empty + 1) / 2)),
    };
    expect(JSON.stringify(item).length).toBeLessThan(MAX_ITEM_BYTES);
    expect(Buffer.byteLength(JSON.stringify(item))).toBeGreaterThan(MAX_ITEM_BYTES);
    expectTooLarge(await refusal(jobs.items.create(item)));
  });

  test('replace, upsert and patch that would grow an item past 2 MB are refused; it stays as it was', async () => {
    const small = { id: 'size-grow', tenantId: TENANT, pad: 'small' };
    const { etag } = await jobs.items.create(small);
    const large = itemOf('size-grow', MAX_ITEM_BYTES + 10);

    expectTooLarge(
      await refusal(
        jobs
          .item('size-grow', TENANT)
          .replace(large, { accessCondition: { type: 'IfMatch', condition: etag } }),
      ),
    );
    expectTooLarge(await refusal(jobs.items.upsert(large)));
    expectTooLarge(
      await refusal(jobs.item('size-grow', TENANT).patch([{ op: 'set', path: '/pad', value: large.pad }])),
    );

    const read = await jobs.item('size-grow', TENANT).read<{ pad: string }>();
    expect(read.resource?.pad).toBe('small');
    expect(read.etag).toBe(etag);
    // An upsert that creates is refused the same way.
    expectTooLarge(await refusal(jobs.items.upsert(itemOf('size-upsert-new', MAX_ITEM_BYTES + 1))));
  });

  test('in a bulk request only the large operation is refused', async () => {
    const results = await jobs.items.executeBulkOperations([
      {
        operationType: 'Create',
        partitionKey: TENANT,
        resourceBody: { id: 'bulk-small-1', tenantId: TENANT },
      },
      {
        operationType: 'Create',
        partitionKey: TENANT,
        resourceBody: itemOf('bulk-large', MAX_ITEM_BYTES + 1),
      },
      {
        operationType: 'Create',
        partitionKey: TENANT,
        resourceBody: { id: 'bulk-small-2', tenantId: TENANT },
      },
    ]);
    const statuses = results.map((result) => result.response?.statusCode ?? result.error?.code);
    expect(statuses).toEqual([201, 413, 201]);
    expect((await jobs.item('bulk-large', TENANT).read()).statusCode).toBe(404);
    expect((await jobs.item('bulk-small-2', TENANT).read()).statusCode).toBe(200);
  });
});
