import { describe, expect, it } from 'vitest';
import { batchIdFor, type BatchDocument, type StoredBatch } from '../../../shared/batches/batch.js';
import { fanOut, lineKey } from '../../../shared/batches/fanout.js';
import { jobIdFor } from '../../../shared/jobs/ids.js';
import { batchDeps, line, storeInput, type TestDeps } from './fakes.js';

async function runningBatch(deps: TestDeps, lines: readonly string[]): Promise<StoredBatch> {
  const file = await storeInput(deps, 't1', lines);
  const batch: BatchDocument = {
    id: batchIdFor('t1', 'k'),
    tenantId: 't1',
    kind: 'batch',
    status: 'in_progress',
    idempotencyKey: 'k',
    requestHash: 'h',
    inputFileId: file.id,
    endpoint: '/v1/chat/completions',
    completionWindow: '24h',
    metadata: null,
    traceId: 'f'.repeat(32),
    createdAt: Math.floor(deps.now.value / 1000),
    expiresAtMs: deps.now.value + 86_400_000,
    requestCounts: { total: lines.length, completed: 0, failed: 0 },
    validLines: lines.length,
    acceptedThrough: 0,
    outputFileId: null,
    errorFileId: null,
    errors: null,
  };
  return (await deps.batches.create(batch)).stored;
}

const five = ['a', 'b', 'c', 'd', 'e'].map((id) => line(id));

describe('fanOut', () => {
  it('makes each valid line a job with bulk creates and batched sends, a chunk at a time', async () => {
    const deps = batchDeps({ chunkLines: 2 });
    const stored = await runningBatch(deps, [
      ...five.slice(0, 2),
      line('bad', { method: 'GET' }),
      ...five.slice(2),
    ]);
    expect(await fanOut(deps, stored)).toBe('done');
    // 5 valid lines in chunks of 2: three bulk creates and three sends, not five of each.
    expect(deps.lineJobs.bulkCalls).toEqual([2, 2, 1]);
    expect(deps.sender.calls.map((messages) => messages.length)).toEqual([2, 2, 1]);
    const jobs = [...deps.lineJobs.jobs.values()];
    expect(jobs.map((job) => job.batch?.customId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const job of jobs) {
      expect(job.id).toBe(jobIdFor('t1', lineKey(stored.batch.id, job.batch?.customId ?? '')));
      expect(job).toMatchObject({ status: 'queued', tenantId: 't1', expiresAt: stored.batch.expiresAtMs });
      expect(job.metadata).toEqual({ batch_id: stored.batch.id, custom_id: job.batch?.customId });
    }
    // Each line its own trace, carried by its invoke message.
    expect(new Set(jobs.map((job) => job.traceId)).size).toBe(5);
    const sent = deps.sender.calls.flat();
    expect(sent.map((message) => message.queue)).toEqual(Array(5).fill('invoke'));
    expect(sent.map((message) => message.messageId)).toEqual(jobs.map((job) => `${job.id}:invoke:0`));
    expect(sent.map((message) => String(message.applicationProperties.traceparent).split('-')[1])).toEqual(
      jobs.map((job) => job.traceId),
    );
    // The last checkpoint covers the whole file.
    expect((await deps.batches.get('t1', stored.batch.id))?.batch.acceptedThrough).toBe(6);
  });

  it('a repeated run makes no second job; within the duplicate window it re-sends the same message ids', async () => {
    const deps = batchDeps({ chunkLines: 10 });
    const stored = await runningBatch(deps, five);
    await fanOut(deps, stored);
    // A crash before the checkpoint: the run starts again from the same place.
    const again = (await deps.batches.get('t1', stored.batch.id))!;
    const rerun = (await deps.batches.replace(
      { ...again.batch, acceptedThrough: 0 },
      again.etag,
    )) as StoredBatch;
    deps.now.value += 60_000;
    await fanOut(deps, rerun);
    expect(deps.lineJobs.jobs.size).toBe(5);
    const [first, second] = deps.sender.calls;
    expect(second?.map((m) => m.messageId)).toEqual(first?.map((m) => m.messageId));
  });

  it('past the duplicate window, a repeated run sends nothing for jobs that exist (reconcile re-drives lost ones)', async () => {
    const deps = batchDeps({ chunkLines: 10 });
    const stored = await runningBatch(deps, five);
    await fanOut(deps, stored);
    const again = (await deps.batches.get('t1', stored.batch.id))!;
    const rerun = (await deps.batches.replace(
      { ...again.batch, acceptedThrough: 0 },
      again.etag,
    )) as StoredBatch;
    deps.now.value += 11 * 60_000;
    await fanOut(deps, rerun);
    expect(deps.lineJobs.jobs.size).toBe(5);
    expect(deps.sender.calls[1]).toEqual([]);
  });

  it('resumes after its checkpoint: lines already accepted are not read into jobs again', async () => {
    const deps = batchDeps({ chunkLines: 2 });
    const stored = await runningBatch(deps, five);
    const resumed = (await deps.batches.replace(
      { ...stored.batch, acceptedThrough: 4 },
      stored.etag,
    )) as StoredBatch;
    await fanOut(deps, resumed);
    expect([...deps.lineJobs.jobs.values()].map((job) => job.batch?.customId)).toEqual(['e']);
  });

  it('stops when the batch is cancelled meanwhile, recording how far it got', async () => {
    const deps = batchDeps({ chunkLines: 2 });
    const stored = await runningBatch(deps, five);
    const sendAll = deps.sender.sendAll.bind(deps.sender);
    deps.sender.sendAll = async (messages) => {
      await sendAll(messages);
      const current = (await deps.batches.get('t1', stored.batch.id))!;
      if (current.batch.status === 'in_progress')
        await deps.batches.replace({ ...current.batch, status: 'cancelling' }, current.etag);
    };
    expect(await fanOut(deps, stored)).toBe('stopped');
    expect(deps.lineJobs.jobs.size).toBe(2);
    expect((await deps.batches.get('t1', stored.batch.id))?.batch).toMatchObject({
      status: 'cancelling',
      acceptedThrough: 2,
    });
  });
});
