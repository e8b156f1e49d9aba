/**
 * Tenant schemas are isolated end to end: two tenants using the same `$id` for different schemas each
 * get their own validation (one shared ajv registry used to make the second fail), and a `$ref` to
 * another tenant's `$id` is refused at submit instead of resolving to that tenant's schema.
 */
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;
let otherKey: string;
const SHARED_ID = 'https://example.com/s';

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 1, perTokenMs: 0 },
  },
  async (started) => {
    stack = started;
    otherKey = await stack.addTenant('team-b');
  },
);

function submit(key: string, idempotencyKey: string, schema: Record<string, unknown>): Promise<Response> {
  return fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Answer with the form' }],
      max_tokens: 64,
      response_format: { type: 'json_schema', json_schema: { name: 'form', schema } },
    }),
  });
}

async function finished(key: string, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': key } });
    const job = (await response.json()) as Record<string, unknown>;
    if (job.status !== 'queued') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still queued`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const formWith = (value: string) => ({
  $id: SHARED_ID,
  type: 'object',
  properties: { owner: { type: 'string', const: value } },
  required: ['owner'],
});

describe('tenant schemas', () => {
  it("validate each tenant's output against its own schema when both use the same $id", async () => {
    const a = await submit(stack.apiKey, 'same-id-a', formWith('A'));
    const b = await submit(otherKey, 'same-id-b', formWith('B'));
    expect([a.status, b.status]).toEqual([202, 202]);
    const jobA = await finished(stack.apiKey, ((await a.json()) as { id: string }).id);
    const jobB = await finished(otherKey, ((await b.json()) as { id: string }).id);
    expect(jobA).toMatchObject({ status: 'succeeded', result: { parsed: { owner: 'A' } } });
    expect(jobB).toMatchObject({ status: 'succeeded', result: { parsed: { owner: 'B' } } });
  });

  it("refuse a $ref to another tenant's $id at submit, naming the field", async () => {
    await submit(stack.apiKey, 'ref-target', formWith('A'));
    const response = await submit(otherKey, 'ref-other', {
      type: 'object',
      properties: { stolen: { $ref: SHARED_ID } },
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: Array<{ field: string; message: string }> };
    expect(problem.errors[0]?.field).toBe('response_format/json_schema/schema/properties/stolen/$ref');
    expect(problem.errors[0]?.message).toMatch(/refers outside this schema/);
  });
});
