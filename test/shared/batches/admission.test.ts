/**
 * Batch lines under the tenant's limits (shared/batches/admission.ts): a line over the tenant's per-request
 * limits goes to the error file; the fan-out keeps the tenant's jobs in flight under its share, leaving the
 * rest to its own submissions, waits and pauses without room, and the batch does not finish while lines
 * are still to be accepted; a spent budget or a suspended tenant pauses it at once; line jobs carry the
 * tenant's retention and run at background priority with its weight.
 */
import { describe, expect, it } from 'vitest';
import { advanceBatch } from '../../../shared/batches/advance.js';
import { sweepBatches } from '../../../shared/batches/sweep.js';
import type { InvokeMessage } from '../../../shared/messaging/stage-messages.js';
import { batchDeps, line, startBatch, type TestDeps } from './fakes.js';

async function errorCodes(deps: TestDeps, id: string | null | undefined) {
  if (!id) return [];
  const content = await deps.files.content('t1', id);
  let text = '';
  for await (const chunk of content!.stream) text += Buffer.from(chunk).toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((each) => JSON.parse(each) as { custom_id: string; error: { code: string; message: string } | null })
    .map((each) => [each.custom_id, each.error?.code]);
}

const lines = (ids: string) => [...ids].map((id) => line(id));

function finishQueued(deps: TestDeps): void {
  for (const job of deps.lineJobs.jobs.values())
    if (job.status === 'queued')
      deps.lineJobs.finish(job.id, 'failed', { error: { code: 'x', message: 'x' } });
}

describe('batch lines under the tenant limits', () => {
  it("sends a line over the tenant's model list, message count or request size to the error file", async () => {
    const deps = batchDeps();
    deps.admission.allowed = ['gpt-4o-mini'];
    deps.admission.maxMessages = 2;
    deps.admission.maxRequestBytes = 2_000;
    const three = [1, 2, 3].map((n) => ({ role: 'user', content: `m${n}` }));
    const batch = await startBatch(deps, [
      line('ok'),
      line('model', { body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } }),
      line('many', { body: { model: 'gpt-4o-mini', messages: three } }),
      line('big', {
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'y'.repeat(3_000) }] },
      }),
    ]);
    // gpt-4o is served by the platform here, only not enabled for this tenant.
    const served = { ...deps, knownModel: () => true };
    let stored = await advanceBatch(served, 't1', batch.id);
    expect(stored?.batch).toMatchObject({ validLines: 1, requestCounts: { total: 4, failed: 3 } });
    expect([...deps.lineJobs.jobs.values()].map((job) => job.batch?.customId)).toEqual(['ok']);
    finishQueued(deps);
    stored = await advanceBatch(served, 't1', batch.id);
    expect(stored?.batch.status).toBe('completed');
    expect(await errorCodes(deps, stored?.batch.errorFileId)).toEqual([
      ['ok', 'x'],
      ['model', 'model_not_allowed'],
      ['many', 'too_many_messages'],
      ['big', 'request_too_large'],
    ]);
  });

  it("keeps the tenant's jobs in flight under its share, then pauses and resumes", async () => {
    const deps = batchDeps({ chunkLines: 10 });
    deps.admission.maxInFlight = 3;
    deps.admission.otherInFlight = 1; // one job the tenant submitted on its own
    const batch = await startBatch(deps, lines('abcde'));
    let stored = await advanceBatch(deps, 't1', batch.id);
    // Room for 2 (3 - 1): one chunk of 2, then it waited the sweep's wait (3 s, a look every second).
    expect(deps.lineJobs.bulkCalls).toEqual([2]);
    expect(deps.slept).toEqual([1_000, 1_000, 1_000]);
    expect(stored?.batch).toMatchObject({ status: 'in_progress', acceptedThrough: 2 });
    expect(Math.max(...deps.admission.inFlightReads)).toBeLessThanOrEqual(3);

    // Its lines finished: the batch does not finalize while lines are still to be accepted.
    finishQueued(deps);
    deps.admission.maxInFlight = 2; // and a quota change since is taken into account
    stored = await advanceBatch(deps, 't1', batch.id);
    expect(deps.lineJobs.bulkCalls).toEqual([2, 1]);
    expect(stored?.batch).toMatchObject({ status: 'in_progress', acceptedThrough: 3 });
    finishQueued(deps);
    deps.admission.otherInFlight = 0;
    stored = await advanceBatch(deps, 't1', batch.id);
    expect(deps.lineJobs.bulkCalls).toEqual([2, 1, 2]);
    expect(stored?.batch).toMatchObject({ status: 'in_progress', acceptedThrough: 5 });
    finishQueued(deps);
    stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch).toMatchObject({ status: 'completed', requestCounts: { total: 5, failed: 5 } });
  });

  it('waits once per sweep: a tenant without room delays the batches after it by that much, not each', async () => {
    const deps = batchDeps();
    deps.admission.maxInFlight = 1;
    const first = await startBatch(deps, lines('ab'));
    const second = await startBatch(deps, lines('cd'), '24h', 't2');
    await advanceBatch(deps, 't1', first.id);
    await advanceBatch(deps, 't2', second.id);
    // Each tenant has one line in flight, its limit: the sweep waits 3 s for the first, not for the second.
    deps.slept.length = 0;
    await sweepBatches(deps, { limit: 10 });
    expect(deps.slept).toEqual([1_000, 1_000, 1_000]);
    for (const [tenantId, id] of [
      ['t1', first.id],
      ['t2', second.id],
    ] as const)
      expect((await deps.batches.get(tenantId, id))?.batch).toMatchObject({
        status: 'in_progress',
        acceptedThrough: 1,
      });
  });

  it('does not wait for room at the end of the file', async () => {
    const deps = batchDeps({ chunkLines: 10 });
    deps.admission.maxInFlight = 2;
    const batch = await startBatch(deps, [...lines('ab'), line('bad', { method: 'GET' })]);
    const stored = await advanceBatch(deps, 't1', batch.id);
    expect(deps.slept).toEqual([]);
    expect(stored?.batch).toMatchObject({ status: 'in_progress', acceptedThrough: 3, validLines: 2 });
  });

  it('pauses at once, without waiting, when the budget is spent or the tenant suspended', async () => {
    for (const block of ['budget', 'suspended'] as const) {
      const deps = batchDeps();
      if (block === 'budget') deps.admission.spent = true;
      else deps.admission.active = false;
      const batch = await startBatch(deps, lines('ab'));
      const stored = await advanceBatch(deps, 't1', batch.id);
      expect(stored?.batch).toMatchObject({ status: 'in_progress', acceptedThrough: 0 });
      expect(deps.lineJobs.jobs.size).toBe(0);
      expect(deps.slept).toEqual([]);
    }
  });

  it('ends lines never admitted batch_expired when the window closes', async () => {
    const deps = batchDeps({ minWindowSeconds: 1 });
    deps.admission.spent = true;
    const batch = await startBatch(deps, lines('ab'), '60s');
    await advanceBatch(deps, 't1', batch.id);
    deps.now.value += 61_000;
    const stored = await advanceBatch(deps, 't1', batch.id);
    expect(stored?.batch.status).toBe('expired');
    expect(await errorCodes(deps, stored?.batch.errorFileId)).toEqual([
      ['a', 'batch_expired'],
      ['b', 'batch_expired'],
    ]);
  });

  it("gives line jobs the tenant's retention and background priority with its weight", async () => {
    const deps = batchDeps();
    const batch = await startBatch(deps, lines('a'));
    await advanceBatch(deps, 't1', batch.id);
    const [job] = [...deps.lineJobs.jobs.values()];
    expect(job).toMatchObject({ retentionSeconds: 7 * 86_400, priority: 'background' });
    const body = deps.sender.calls.flat()[0]?.body as InvokeMessage;
    expect(body.retentionSeconds).toBe(7 * 86_400);
    expect(body.scheduling).toEqual({ priority: 'background', weight: 3 });
  });
});
