import { describe, expect, it } from 'vitest';
import { advanceBatch } from '../../../shared/batches/advance.js';
import { createBatch } from '../../../shared/batches/create.js';
import { cancelBatch } from '../../../shared/batches/reads.js';
import type { JobDocument } from '../../../shared/jobs/job.js';
import { batchDeps, line, startBatch, storeInput, type TestDeps } from './fakes.js';

async function fileLines(deps: TestDeps, id: string | null | undefined) {
  if (!id) return [];
  const content = await deps.files.content('t1', id);
  let text = '';
  for await (const chunk of content!.stream) text += Buffer.from(chunk).toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map(
      (each) => JSON.parse(each) as { custom_id: string; response: unknown; error: { code: string } | null },
    );
}

const succeeded: Partial<JobDocument> = {
  result: { content: 'ok', refusal: null, finishReason: 'stop', model: 'gpt-4o-mini', deployment: 'd' },
  usage: { promptTokens: 3, completionTokens: 1, cachedTokens: 0, totalTokens: 4, costUsd: 0 },
};

describe('advanceBatch', () => {
  it('validating -> in_progress -> finalizing -> completed, counting from the jobs, files written once', async () => {
    const deps = batchDeps();
    const batch = await startBatch(deps, [line('a'), line('b', { url: '/v1/x' }), line('c')]);
    let stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch).toMatchObject({
      status: 'in_progress',
      validLines: 2,
      requestCounts: { total: 3, completed: 0, failed: 1 },
    });
    const [a, c] = [...deps.lineJobs.jobs.keys()];
    deps.lineJobs.finish(a!, 'succeeded', succeeded);
    stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch).toMatchObject({
      status: 'in_progress',
      requestCounts: { completed: 1, failed: 1 },
    });
    deps.lineJobs.finish(c!, 'failed', { error: { code: 'attempts_exhausted', message: 'gave up' } });
    stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch).toMatchObject({
      status: 'completed',
      requestCounts: { total: 3, completed: 1, failed: 2 },
    });
    expect(stored?.batch.finalizingAt).toBeDefined();
    expect((await fileLines(deps, stored?.batch.outputFileId)).map((l) => l.custom_id)).toEqual(['a']);
    const errors = await fileLines(deps, stored?.batch.errorFileId);
    expect(errors.map((l) => [l.custom_id, l.error?.code])).toEqual([
      ['c', 'attempts_exhausted'],
      ['b', 'mismatched_endpoint'],
    ]);
    expect(deps.events.map((event) => event.status)).toEqual(['completed']);
    expect((await deps.files.get('t1', stored!.batch.outputFileId!))?.purpose).toBe('batch_output');
  });

  it('fails validation with errors and an event, and makes no job', async () => {
    const deps = batchDeps();
    const batch = await startBatch(deps, [line('a'), line('a')]);
    const stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ line: 2 })] });
    expect(deps.lineJobs.jobs.size).toBe(0);
    expect(deps.events.map((event) => event.status)).toEqual(['failed']);
  });

  it('expires when the window closes: finished lines kept, queued ones batch_expired', async () => {
    const deps = batchDeps();
    const batch = await startBatch(deps, [line('a'), line('b')], '60s');
    await advanceBatch(deps, 't1', batch.id);
    const [a] = [...deps.lineJobs.jobs.keys()];
    deps.lineJobs.finish(a!, 'succeeded', succeeded);
    deps.now.value += 61_000;
    const stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch).toMatchObject({ status: 'expired', requestCounts: { completed: 1, failed: 1 } });
    expect(
      (await fileLines(deps, stored?.batch.errorFileId)).map((l) => [l.custom_id, l.error?.code]),
    ).toEqual([['b', 'batch_expired']]);
  });

  it('cancel: queued lines stopped with the job cancel, finished ones kept, then cancelled', async () => {
    const deps = batchDeps();
    const batch = await startBatch(deps, [line('a'), line('b'), line('c')]);
    await advanceBatch(deps, 't1', batch.id);
    const [a, b, c] = [...deps.lineJobs.jobs.keys()];
    deps.lineJobs.finish(a!, 'succeeded', succeeded);
    expect((await cancelBatch(deps, 't1', batch.id)).status).toBe('cancelling');
    const stored = await advanceBatch(deps, 't1', batch.id);
    expect(deps.cancelled).toEqual([b, c]);
    expect(stored?.batch).toMatchObject({ status: 'cancelled', requestCounts: { completed: 1, failed: 2 } });
    expect(deps.events.map((event) => event.status)).toEqual(['cancelled']);
    await expect(cancelBatch(deps, 't1', batch.id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('idempotent create: the same request again is the same batch; the same key with another body a 409', async () => {
    const deps = batchDeps();
    const file = await storeInput(deps, 't1', [line('a')]);
    const body = { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' };
    const first = await createBatch(deps, { tenantId: 't1', body, traceId: 'a'.repeat(32) });
    deps.now.value += 9 * 60_000;
    const again = await createBatch(deps, { tenantId: 't1', body, traceId: 'b'.repeat(32) });
    expect(again).toEqual({ batch: first.batch, created: false });
    deps.now.value += 11 * 60_000;
    expect((await createBatch(deps, { tenantId: 't1', body, traceId: 'c'.repeat(32) })).created).toBe(true);
    await createBatch(deps, { tenantId: 't1', idempotencyKey: 'k', body, traceId: 'd'.repeat(32) });
    await expect(
      createBatch(deps, {
        tenantId: 't1',
        idempotencyKey: 'k',
        body: { ...body, metadata: { x: 'y' } },
        traceId: 'e'.repeat(32),
      }),
    ).rejects.toMatchObject({ name: 'ConflictError' });
  });
});
