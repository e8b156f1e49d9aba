/**
 * `POST /api/v1/jobs/batch` through the real HTTP API (dev host, real handlers, embedded Cosmos DB): each
 * item is admitted on its own, so an item that fails the schema, is over the tenant's request size, or
 * finds the tenant's jobs in flight at its limit is that item's problem in the 207, never the others';
 * an item repeating an Idempotency-Key answers the job it made; each job has a trace of its own.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCaller, as } from '../../security/edge-client.js';
import { startHarness, type Harness } from '../../security/http-harness.js';

let h: Harness;
let key: string;
const call = apiCaller(() => h.apiUrl);

beforeAll(async () => {
  h = await startHarness();
  key = await h.addTenant({
    id: 'batch-items',
    name: 'batch items',
    allowedModels: ['*'],
    quotas: { maxJobsInFlight: 3, maxRequestBytes: 2_048, submissionsPerMinute: 1_000 },
  });
}, 60_000);

afterAll(() => h?.close());

const job = (content: string) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

interface ItemResult {
  readonly index: number;
  readonly status: number;
  readonly job?: { readonly id: string; readonly traceId: string };
  readonly problem?: {
    readonly status: number;
    readonly traceId?: string;
    readonly errors?: { field: string }[];
  };
}

describe('POST /v1/jobs/batch', () => {
  test('a bad, an oversized and a refused item each fail alone; the rest are accepted with their own traces', async () => {
    const reply = await call('POST', '/v1/jobs/batch', as(key), {
      jobs: [
        { job: job('first'), idempotency_key: 'item-1' },
        { job: { model: 'gpt-4o-mini' } },
        { job: job('x'.repeat(3_000)) },
        { job: job('first'), idempotency_key: 'item-1' },
        { job: job('second'), idempotency_key: 'item-2' },
        { job: job('third'), idempotency_key: 'item-3' },
      ],
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(207);
    const results = reply.body.results as ItemResult[];
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [0, 202],
      [1, 400],
      [2, 413],
      [3, 200],
      [4, 202],
      // Three admitted (the repeat counts until the next in-flight read): the tenant's limit.
      [5, 429],
    ]);
    expect(results[1]!.problem?.errors?.map((e) => e.field)).toContain('job/messages');
    expect(results[3]!.job?.id).toBe(results[0]!.job?.id);
    const [first, , , , second] = results;
    expect(first!.job!.traceId).not.toBe(second!.job!.traceId);
    // Refused items carry their own trace too, to find them in the logs.
    const problemTraces = [results[1], results[2], results[5]].map((r) => r!.problem?.traceId);
    expect(new Set([...problemTraces, first!.job!.traceId, second!.job!.traceId]).size).toBe(5);

    // The accepted jobs exist on their own, readable by id.
    for (const id of [first!.job!.id, second!.job!.id]) {
      const read = await call('GET', `/v1/jobs/${id}`, as(key));
      expect(read.status).toBe(200);
    }
  });
});
