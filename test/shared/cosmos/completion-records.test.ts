/**
 * Kept completions in the embedded Cosmos DB, through the real SDK: the first keep of a job's attempt
 * wins and a later one is told it came second; a point read finds it, or nothing.
 */
import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosCompletionRecords, completionRecordId } from '../../../shared/cosmos/completion-records.js';
import type { CompletionRecord } from '../../../shared/pipeline/completion-records.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';

let cosmos: TestDatabase;
let payloads: Container;

beforeAll(async () => {
  cosmos = await startTestDatabase();
  payloads = cosmos.database.container('payloads');
});

afterAll(async () => {
  await cosmos?.close();
});

function record(jobId: string, attempt: number, responseId: string): CompletionRecord {
  return {
    jobId,
    attempt,
    completion: {
      content: `answer ${responseId}`,
      refusal: null,
      finishReason: 'stop',
      usage: { promptTokens: 7, completionTokens: 2, cachedTokens: 0 },
      deployment: 'd1',
      model: 'gpt-4o-mini',
      responseId,
    },
    invokeStartedAt: 1_000,
    modelCompletedAt: 2_000,
  };
}

describe('CosmosCompletionRecords', () => {
  it('keeps the first completion of an attempt and tells a later one it came second', async () => {
    const store = new CosmosCompletionRecords(payloads);
    expect(await store.keep(record('job_a', 0, 'r1'), 600)).toBe('kept');
    expect(await store.keep(record('job_a', 0, 'r2'), 600)).toBe('exists');
    expect(await store.keep(record('job_a', 1, 'r3'), 600)).toBe('kept');

    expect(await store.find('job_a', 0)).toEqual(record('job_a', 0, 'r1'));
    expect((await store.find('job_a', 1))?.completion.responseId).toBe('r3');
    expect(await store.find('job_a', 2)).toBeUndefined();
    const { resource } = await payloads
      .item(completionRecordId('job_a', 0), completionRecordId('job_a', 0))
      .read<{ ttl: number }>();
    expect(resource?.ttl).toBe(600);
  });
});
