/**
 * Recovery on in-memory fakes: each dead letter of a job stage ends or redrives its job, or is kept for
 * an operator when it names no job; jobs past their deadline end `stalled`; both go through persist, so
 * the job's event is sent as for any failure.
 */
import { describe, expect, test } from 'vitest';
import type { PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import { recoverDeadLetters } from '../../../shared/recovery/dead-letters.js';
import { endStalledJobs } from '../../../shared/recovery/stalled.js';
import { acceptedInvokeMessage, acceptedJob } from '../../fakes/job-fixtures.js';
import { MemoryDeadLetters } from '../../fakes/memory-dead-letters.js';
import { countingModel, modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage, type FakeStage } from '../../fakes/stage-deps.js';

const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
const settings = { maxRedrives: 1, batch: 100 };

const queuedJob = (deps: FakeStage, key: string) =>
  acceptedJob(deps, { tenantId: 'team-a', idempotencyKey: key, body });

describe('recoverDeadLetters', () => {
  test('a dead-lettered stage message ends its queued job failed with the reason, and its event is sent', async () => {
    const deps = fakeStage();
    const job = await queuedJob(deps, 'k1');
    const deadLetters = new MemoryDeadLetters();
    deadLetters.add('postprocess', {
      messageId: `${job.id}:postprocess:1`,
      jobId: job.id,
      tenantId: 'team-a',
      reason: 'InvalidStageMessage',
      description: 'completion: required',
    });
    const result = await recoverDeadLetters({ ...deps, deadLetters }, settings);
    expect(result).toEqual({ redriven: 0, ended: 1, removed: 0, kept: 0 });
    const stored = await deps.jobs.get('team-a', job.id);
    expect(stored?.job.status).toBe('failed');
    expect(stored?.job.error).toEqual({
      code: 'dead_lettered',
      message: "The job's postprocess message was dead-lettered (InvalidStageMessage: completion: required).",
    });
    expect(
      deps.publisher.on('deliver').map((m) => (m.body as { event: { type: string } }).event.type),
    ).toEqual(['job.failed']);
    expect(deadLetters.on('postprocess')).toEqual([]);
  });

  test('a transient reason is redriven once, then the job ends', async () => {
    const deps = fakeStage();
    const job = await queuedJob(deps, 'k1');
    const deadLetters = new MemoryDeadLetters();
    const message = {
      messageId: `${job.id}:invoke:0`,
      jobId: job.id,
      tenantId: 'team-a',
      reason: 'MaxDeliveryCountExceeded',
    };
    deadLetters.add('invoke', message, { kind: 'invoke' });
    expect(await recoverDeadLetters({ ...deps, deadLetters }, settings)).toMatchObject({
      redriven: 1,
      ended: 0,
    });
    expect(deadLetters.redriven).toEqual([
      { queue: 'invoke', messageId: `${job.id}:invoke:0:r1`, body: { kind: 'invoke' }, redriveCount: 1 },
    ]);
    expect((await deps.jobs.get('team-a', job.id))?.job.status).toBe('queued');
    // Dead-lettered again after its redrive: no second redrive.
    deadLetters.add('invoke', { ...message, messageId: `${job.id}:invoke:0:r1`, redriveCount: 1 });
    expect(await recoverDeadLetters({ ...deps, deadLetters }, settings)).toMatchObject({
      redriven: 0,
      ended: 1,
    });
    expect((await deps.jobs.get('team-a', job.id))?.job.error?.code).toBe('dead_lettered');
  });

  test('a dead letter of a finished or unknown job is removed; one naming no job is kept for an operator', async () => {
    const deps = fakeStage();
    const job = await queuedJob(deps, 'k1');
    await recoverDeadLetters({ ...deps, deadLetters: withOne(job.id, 'persist') }, settings);
    const deadLetters = new MemoryDeadLetters();
    deadLetters.add('persist', { messageId: 'late', jobId: job.id, tenantId: 'team-a', reason: 'X' });
    deadLetters.add('persist', { messageId: 'ghost', jobId: 'job_nothere', tenantId: 'team-a', reason: 'X' });
    deadLetters.add('persist', { messageId: 'foreign', reason: 'X' });
    expect(await recoverDeadLetters({ ...deps, deadLetters }, settings)).toEqual({
      redriven: 0,
      ended: 0,
      removed: 2,
      kept: 1,
    });
    expect(deadLetters.on('persist').map((d) => [d.messageId, d.state])).toEqual([['foreign', 'deferred']]);
    // Kept ones are not handed out again on the next run.
    expect(await recoverDeadLetters({ ...deps, deadLetters }, settings)).toEqual({
      redriven: 0,
      ended: 0,
      removed: 0,
      kept: 0,
    });
  });
});

function withOne(jobId: string, queue: 'persist'): MemoryDeadLetters {
  const deadLetters = new MemoryDeadLetters();
  deadLetters.add(queue, {
    messageId: `${jobId}:persist:0`,
    jobId,
    tenantId: 'team-a',
    reason: 'JobNotFound',
  });
  return deadLetters;
}

describe('endStalledJobs', () => {
  test('ends queued jobs past their deadline plus the grace, leaves the others', async () => {
    const deps = fakeStage();
    const old = await queuedJob(deps, 'old');
    deps.now += 30 * 60_000;
    const recent = await queuedJob(deps, 'recent');
    // Past the first job's deadline (60 min in the fake) plus a 10 min grace, not the second's.
    deps.now += 45 * 60_000;
    expect(await endStalledJobs(deps, { graceMs: 10 * 60_000, batch: 10 })).toBe(1);
    expect((await deps.jobs.get('team-a', old.id))?.job).toMatchObject({
      status: 'failed',
      error: { code: 'stalled' },
    });
    expect((await deps.jobs.get('team-a', recent.id))?.job.status).toBe('queued');
    // Nothing left to do: a second run ends nothing.
    expect(await endStalledJobs(deps, { graceMs: 10 * 60_000, batch: 10 })).toBe(0);
  });
});

describe('a dead-lettered persist message', () => {
  test('writes its own outcome instead of failing the job', async () => {
    const deps = fakeStage(
      countingModel(modelAnswer({ responseId: 'r1', content: 'done', promptTokens: 3, completionTokens: 1 })),
    );
    const invoke = await acceptedInvokeMessage(deps);
    await invokeModel(deps, invoke);
    await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
    const persist = deps.publisher.on('persist')[0]!;
    const deadLetters = new MemoryDeadLetters();
    deadLetters.add(
      'persist',
      { messageId: persist.messageId, jobId: invoke.jobId, tenantId: 't1', reason: 'JobWriteFailed' },
      persist.body,
    );
    expect(await recoverDeadLetters({ ...deps, deadLetters }, settings)).toMatchObject({
      ended: 0,
      removed: 1,
    });
    const stored = await deps.jobs.get('t1', invoke.jobId);
    expect(stored?.job).toMatchObject({ status: 'succeeded', result: { content: 'done' } });
  });
});
