/**
 * Stalled jobs on in-memory fakes: a queued job past its stages' allowance is re-driven to invoke once,
 * as its last attempt, under one message id however often reconcile runs; the re-drive goes through
 * the invoke stage's own checks (a finished job is not called again, the attempt budget holds); a job
 * still queued past its deadline and the grace ends `stalled`.
 */
import { describe, expect, test } from 'vitest';
import type { ModelClient } from '../../../shared/model/port.js';
import { InvokeMessageSchema, PersistMessageSchema } from '../../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { persistOutcome } from '../../../shared/pipeline/persist.js';
import { endStalledJobs, redriveStalledJobs } from '../../../shared/recovery/stalled.js';
import { acceptedJob } from '../../fakes/job-fixtures.js';
import { fakeStage, type FakeStage } from '../../fakes/stage-deps.js';

const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
const MINUTE = 60_000;
const redrive = { allowanceMs: 30 * MINUTE, batch: 100 };

const queuedJob = (deps: FakeStage, key: string) =>
  acceptedJob(deps, { tenantId: 'team-a', idempotencyKey: key, body });

/** What was re-driven so far: the invoke messages whose id marks them as such. */
function redrives(deps: FakeStage) {
  return deps.publisher.on('invoke').filter((m) => m.messageId.endsWith(':stalled'));
}

describe('redriveStalledJobs', () => {
  test('a job queued past the allowance is re-driven to invoke as its last attempt, under one id per job', async () => {
    const deps = fakeStage();
    const stalled = await queuedJob(deps, 'stalled');
    deps.now += 20 * MINUTE;
    const recent = await queuedJob(deps, 'recent');
    deps.now += 11 * MINUTE;

    expect(await redriveStalledJobs(deps, redrive)).toBe(1);
    const [message] = redrives(deps);
    expect(message).toMatchObject({
      queue: 'invoke',
      messageId: `${stalled.id}:invoke:3:stalled`,
      applicationProperties: { jobId: stalled.id, tenantId: 'team-a', attempt: 3 },
    });
    const invoke = InvokeMessageSchema.parse(message!.body);
    expect(invoke).toMatchObject({ jobId: stalled.id, attempt: 3, deadlineAt: stalled.deadlineAt });
    expect(invoke.request).toMatchObject({ messages: body.messages });

    // A run every minute: inside the duplicate-detection window each one sends the same id (the queue
    // keeps one), after it none; the other job has its turn once it is past the allowance.
    for (let run = 0; run < 21; run += 1) {
      deps.now += MINUTE;
      await redriveStalledJobs(deps, redrive);
    }
    expect(new Set(redrives(deps).map((m) => m.messageId))).toEqual(
      new Set([`${stalled.id}:invoke:3:stalled`, `${recent.id}:invoke:3:stalled`]),
    );
    // The first job was picked by the runs of its window only (the duplicate window less a margin).
    expect(redrives(deps).filter((m) => m.messageId.startsWith(stalled.id))).toHaveLength(9);
    expect(await redriveStalledJobs(deps, { ...redrive, allowanceMs: 90 * MINUTE })).toBe(0);
  });

  test('a job whose request cannot be read back does not hold the re-drive of the others', async () => {
    const deps = fakeStage();
    const unreadable = await queuedJob(deps, 'unreadable');
    const readable = await queuedJob(deps, 'readable');
    const requestOf = deps.jobs.requestOf.bind(deps.jobs);
    deps.jobs.requestOf = (job) =>
      job.id === unreadable.id ? Promise.reject(new Error('blob not found')) : requestOf(job);
    deps.now += 31 * MINUTE;

    expect(await redriveStalledJobs(deps, redrive)).toBe(1);
    expect(redrives(deps).map((m) => m.messageId)).toEqual([`${readable.id}:invoke:3:stalled`]);
  });

  test('a finished job is not re-driven, and one held until later counts from the end of its hold', async () => {
    const deps = fakeStage();
    const finished = await queuedJob(deps, 'finished');
    await deps.jobs.completeIfOpen('team-a', finished.id, {
      status: 'succeeded',
      updatedAt: new Date(deps.now).toISOString(),
    } as never);
    const held = await queuedJob(deps, 'held');
    // As a hold would leave it: its stages start an hour after its acceptance.
    await deps.jobs.replace(
      { ...held, deadlineAt: held.deadlineAt! + 60 * MINUTE },
      (await deps.jobs.get('team-a', held.id))!.etag,
    );
    deps.now += 31 * MINUTE;
    expect(await redriveStalledJobs(deps, redrive)).toBe(0);
    deps.now += 60 * MINUTE;
    expect(await redriveStalledJobs(deps, redrive)).toBe(1);
    expect(redrives(deps).map((m) => m.messageId)).toEqual([`${held.id}:invoke:3:stalled`]);
  });

  test('the re-driven message spends at most the last attempt of the budget', async () => {
    let calls = 0;
    const failing: ModelClient = {
      complete: () => {
        calls += 1;
        return Promise.reject(new Error('connection reset'));
      },
    };
    const deps = fakeStage(failing);
    const job = await queuedJob(deps, 'budget');
    deps.now += 31 * MINUTE;
    await redriveStalledJobs(deps, redrive);
    const [message] = redrives(deps);
    await invokeModel(deps, InvokeMessageSchema.parse(message!.body));
    expect(calls).toBe(1);
    // No retry scheduled: the job fails with its attempts spent, through persist.
    expect(deps.publisher.on('invoke').filter((m) => m.scheduledAt)).toEqual([]);
    const persist = PersistMessageSchema.parse(deps.publisher.on('persist').at(-1)!.body);
    expect(persist.outcome).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    await persistOutcome(deps, persist);
    expect((await deps.jobs.get('team-a', job.id))?.job).toMatchObject({ status: 'failed', attempts: 4 });
    // The job has ended: a copy of the re-drive that arrives now does not call the model.
    await invokeModel(deps, InvokeMessageSchema.parse(message!.body));
    expect(calls).toBe(1);
  });
});

describe('endStalledJobs', () => {
  test('a job re-driven and still queued ends `stalled` only past its deadline and the grace', async () => {
    const deps = fakeStage();
    const job = await queuedJob(deps, 'lost');
    deps.now += 31 * MINUTE;
    expect(await redriveStalledJobs(deps, redrive)).toBe(1);
    // The re-drive was lost too. The fake's deadline is 60 minutes after acceptance.
    expect(await endStalledJobs(deps, { graceMs: 15 * MINUTE, batch: 10 })).toBe(0);
    deps.now += 40 * MINUTE;
    expect(await endStalledJobs(deps, { graceMs: 15 * MINUTE, batch: 10 })).toBe(0);
    deps.now += 5 * MINUTE;
    expect(await endStalledJobs(deps, { graceMs: 15 * MINUTE, batch: 10 })).toBe(1);
    expect((await deps.jobs.get('team-a', job.id))?.job).toMatchObject({
      status: 'failed',
      error: { code: 'stalled' },
    });
    expect(
      deps.publisher.on('deliver').map((m) => (m.body as { event: { type: string } }).event.type),
    ).toEqual(['job.failed']);
  });
});
