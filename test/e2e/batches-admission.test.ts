/**
 * Batch lines under the tenant's limits, through the whole local stack and the official `openai` SDK: a
 * tenant allowed 4 jobs in flight (so its batch lines 2, BATCH_IN_FLIGHT_SHARE 0.5) and one model of the
 * two the platform serves. Its batch of 8 lines completes; at no moment were more than 2 of its line jobs
 * in flight (read back from each job's accepted and finished times), the line naming the other model is
 * in the error file as `model_not_allowed`, and the line jobs carry the tenant's retention and background
 * priority. The adapter (functions/batch-services.ts) runs against the embedded Cosmos DB here.
 */
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import type { JobDocument } from '../../shared/jobs/job.js';
import { useLocalStack } from '../fakes/local-stack.js';

let stack: LocalStack;
let client: OpenAI;

useLocalStack(
  {
    // Each call takes a moment, so lines overlap and the bound is what keeps them to 2.
    modelLatency: { timeToFirstTokenMs: 300, perTokenMs: 0 },
    deployments: [
      { name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 1_000_000 },
      { name: 'gpt-4o', model: 'gpt-4o', tpm: 1_000_000 },
    ],
    env: { BATCH_CHUNK_LINES: '10' },
  },
  async (started) => {
    stack = started;
    const tenants = stack.services.security.tenants;
    const stored = (await tenants.get(stack.tenantId))!;
    await tenants.replace(
      {
        ...stored.tenant,
        allowedModels: ['gpt-4o-mini'],
        retentionDays: 3,
        quotas: { ...stored.tenant.quotas, maxJobsInFlight: 4 },
      },
      stored.etag,
    );
    client = new OpenAI({ baseURL: `${stack.apiUrl}/v1`, apiKey: stack.apiKey, maxRetries: 0 });
  },
);

const line = (customId: string, model = 'gpt-4o-mini') =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: `Say ${customId}` }], max_tokens: 8 },
  });

describe('batch lines under the tenant limits', () => {
  it('keeps 2 lines in flight, refuses the model the tenant may not use, and completes', async () => {
    const lines = [...'abcdefg'].map((id) => line(id));
    lines.splice(3, 0, line('other', 'gpt-4o'));
    const file = await client.files.create({
      file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'admission.jsonl'),
      purpose: 'batch',
    });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const deadline = Date.now() + 90_000;
    let batch = await client.batches.retrieve(created.id);
    while (batch.status !== 'completed' && Date.now() < deadline) {
      await stack.host.runTimer('batchSweep');
      batch = await client.batches.retrieve(created.id);
    }
    expect(batch.status, JSON.stringify(batch)).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 8, completed: 7, failed: 1 });
    const errors = await (await client.files.content(batch.error_file_id!)).text();
    const [refused] = errors
      .split('\n')
      .filter(Boolean)
      .map((each) => JSON.parse(each) as Record<string, never>);
    expect(refused).toMatchObject({ custom_id: 'other', error: { code: 'model_not_allowed' } });

    const { resources: jobs } = await stack.services.database
      .container('jobs')
      .items.query<JobDocument>({
        query: 'SELECT * FROM c WHERE c.tenantId = @t AND c.batch.id = @b',
        parameters: [
          { name: '@t', value: stack.tenantId },
          { name: '@b', value: created.id },
        ],
      })
      .fetchAll();
    expect(jobs).toHaveLength(7);
    for (const job of jobs)
      expect(job).toMatchObject({ retentionSeconds: 3 * 86_400, priority: 'background' });
    // In flight from creation to the terminal write: never more than 2 at once.
    const spans = jobs.map((job) => [Date.parse(job.createdAt), Date.parse(job.completedAt!)] as const);
    const most = Math.max(
      ...spans.map(([start]) => spans.filter(([from, to]) => from <= start && start < to).length),
    );
    expect(most).toBeLessThanOrEqual(2);
  }, 120_000);
});
