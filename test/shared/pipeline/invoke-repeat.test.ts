/**
 * A repeated invoke delivery does not pay for its attempt twice: the first delivery keeps its completion
 * before passing it on; a delivery of the same message after it passes the kept completion on; one that
 * finds none waits for any earlier call to end (a scheduled completion check) before calling itself.
 */
import { describe, expect, it } from 'vitest';
import { RetryAfterError } from '../../../shared/errors/index.js';
import { QUOTA_PACED_REASON } from '../../../shared/model/reasons.js';
import type { PersistMessage, PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { cancelJob } from '../../../shared/pipeline/cancel.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { persistOutcome } from '../../../shared/pipeline/persist.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import {
  COMPLETION_CHECK_PROPERTY,
  invokeDeliveryOf,
  modelCallBoundMs,
} from '../../../shared/pipeline/invoke-repeat.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { deliverInvoke, settle } from '../../fakes/invoke-delivery.js';
import { countingModel, heldModel, modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const answer = (responseId: string, completionTokens = 2) =>
  modelAnswer({ responseId, promptTokens: 7, completionTokens });

const AGAIN = { redelivered: true, completionCheck: false } as const;

describe('the first delivery of an invoke message', () => {
  it('keeps the completion before passing it on, and reads nothing', async () => {
    const deps = fakeStage(countingModel(answer('r1')));
    const message = await acceptedInvokeMessage(deps);
    deps.publisher.failNextSend = new Error('connection cut after the answer');
    await expect(invokeModel(deps, message)).rejects.toThrow('connection cut');

    // A failed send after the answer is not a failed attempt: no retry that would call again.
    expect(deps.publisher.on('invoke')).toHaveLength(1);
    const kept = await deps.completions.find(message.jobId, 0);
    expect(kept?.completion.responseId).toBe('r1');
    expect(deps.completions.operations).toEqual({ keeps: 1, finds: 1 });
    expect(deps.jobs.operations.reads).toBe(0);
    // Kept until the job's deadline (plus a minute), after which no delivery reads it.
    const ttl = deps.completions.items.get(`${message.jobId}:0`)?.ttlSeconds;
    expect(ttl).toBe(Math.ceil((message.deadlineAt - deps.now) / 1000) + 60);
  });

  it('still passes the completion on when it cannot be kept', async () => {
    const deps = fakeStage(countingModel(answer('r1')));
    const message = await acceptedInvokeMessage(deps);
    deps.completions.failNextKeep = new Error('Cosmos DB unavailable');
    await invokeModel(deps, message);

    expect(deps.publisher.on('postprocess')).toHaveLength(1);
    expect(deps.logger.lines.some((line) => line.event === 'model.completion_not_kept')).toBe(true);
  });
});

describe('a repeated invoke delivery', () => {
  it('passes on the kept completion without calling the model again', async () => {
    const model = countingModel(answer('r1'), answer('r2'));
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    const first = deps.publisher.on('postprocess')[0]!;

    // The instance died after sending, before settling: the message comes back, the job still queued.
    deps.now += 2_500;
    await invokeModel(deps, message, undefined, AGAIN);

    expect(model.calls).toBe(1);
    const again = deps.publisher.on('postprocess');
    expect(again).toHaveLength(2);
    // The same id and body: duplicate detection drops it when the first send happened.
    expect(again[1]?.messageId).toBe(first.messageId);
    expect(again[1]?.body).toEqual(first.body);
    expect((again[1]?.body as PostprocessMessage).completion.responseId).toBe('r1');
  });

  it('passes the kept completion on when the first delivery died before sending it', async () => {
    const model = countingModel(answer('r1'), answer('r2'));
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    deps.publisher.failNextSend = new Error('instance gone');
    await expect(invokeModel(deps, message)).rejects.toThrow('instance gone');
    expect(deps.publisher.on('postprocess')).toHaveLength(0);

    await invokeModel(deps, message, undefined, AGAIN);
    expect(model.calls).toBe(1);
    const [sent] = deps.publisher.on('postprocess');
    expect((sent?.body as PostprocessMessage).completion.responseId).toBe('r1');
    expect((sent?.body as PostprocessMessage).attempts).toBe(1);
  });

  it('with nothing kept, waits for any earlier call to end, then calls once and flags the unseen call', async () => {
    const model = countingModel(answer('r1'));
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);

    // The first delivery died before the model answered: nothing kept.
    await invokeModel(deps, message, undefined, AGAIN);
    expect(model.calls).toBe(0);
    const check = deps.publisher.on('invoke').at(-1)!;
    expect(check.applicationProperties[COMPLETION_CHECK_PROPERTY]).toBe(true);
    expect(check.scheduledAt?.getTime()).toBe(deps.now + deps.modelCallBoundMs);
    expect(check.body).toMatchObject({ attempt: 0, hop: 1 });
    expect(check.messageId).toBe(`${message.jobId}:invoke:1`);

    deps.now += deps.modelCallBoundMs;
    await deliverInvoke(deps, check);
    expect(model.calls).toBe(1);
    const [sent] = deps.publisher.on('postprocess');
    const handed = sent?.body as PostprocessMessage;
    expect(handed.completion.responseId).toBe('r1');
    // The first delivery may have been answered and charged with nobody left to keep the answer: it
    // counts as an attempt, and the job's usage says one call's tokens are unknown.
    expect(handed).toMatchObject({ attempts: 2, unseenCalls: 1 });
    await postprocessCompletion(deps, handed);
    await persistOutcome(deps, deps.publisher.on('persist')[0]!.body as PersistMessage);
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(job?.usage).toMatchObject({ totalTokens: 9, unseenCalls: 1 });
  });

  it('for a job cancelled meanwhile, flags the call nobody saw; a late answer adds its tokens', async () => {
    const deps = fakeStage(countingModel(answer('r1')));
    const message = await acceptedInvokeMessage(deps);
    // The first delivery's instance died mid-call; the job was cancelled before the message came back.
    await cancelJob(deps, 't1', message.jobId, newTrace());
    await invokeModel(deps, message, undefined, AGAIN);
    expect(deps.publisher.on('postprocess')).toHaveLength(0);
    const flagged = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(flagged).toMatchObject({ status: 'cancelled', usage: { totalTokens: 0, unseenCalls: 1 } });

    // Delivered again: flagged once only.
    await invokeModel(deps, message, undefined, AGAIN);
    expect((await deps.jobs.get('t1', message.jobId))?.job.usage?.unseenCalls).toBe(1);
  });

  it('for a job cancelled meanwhile, passes on a kept answer so its tokens are recorded', async () => {
    const model = heldModel();
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    const first = invokeModel(deps, message);
    await settle();
    model.answer(0, answer('r1'));
    await first;
    await cancelJob(deps, 't1', message.jobId, newTrace());
    // The postprocess send of the first delivery was lost with its instance: the repeat sends it again.
    deps.publisher.sent.length = 0;
    await invokeModel(deps, message, undefined, AGAIN);
    const [handed] = deps.publisher.on('postprocess');
    await postprocessCompletion(deps, handed!.body as PostprocessMessage);
    await persistOutcome(deps, deps.publisher.on('persist')[0]!.body as PersistMessage);
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job).toMatchObject({ status: 'cancelled', usage: { totalTokens: 9 } });
    expect(job?.usage?.unseenCalls).toBeUndefined();
  });

  it('does not call while the first delivery, its lock lost, is still calling', async () => {
    const model = heldModel();
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    const first = invokeModel(deps, message);
    await settle();
    expect(model.calls).toBe(1);

    // Its lock expired mid-call: the message is delivered again while the first call runs.
    deps.now += 2_000;
    await invokeModel(deps, message, undefined, AGAIN);
    expect(model.calls).toBe(1);
    const check = deps.publisher.on('invoke').at(-1)!;

    // The first call answers before the check is due; the check passes that answer on.
    model.answer(0, answer('r1'));
    await first;
    deps.now += deps.modelCallBoundMs;
    await deliverInvoke(deps, check);

    expect(model.calls).toBe(1);
    const sent = deps.publisher.on('postprocess');
    expect(sent.map((m) => (m.body as PostprocessMessage).completion.responseId)).toEqual(['r1', 'r1']);
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(1);
  });

  it('a check delivered again waits again rather than racing its own earlier delivery', async () => {
    const model = heldModel();
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message, undefined, AGAIN);
    const check = deps.publisher.on('invoke').at(-1)!;
    deps.now += deps.modelCallBoundMs;
    void deliverInvoke(deps, check);
    await settle();
    expect(model.calls).toBe(1);

    // The check's own lock is lost mid-call: its second delivery schedules the next check.
    await deliverInvoke(deps, check, 1);
    expect(model.calls).toBe(1);
    const next = deps.publisher.on('invoke').at(-1)!;
    expect(next.body).toMatchObject({ attempt: 0, hop: 2 });
    expect(next.applicationProperties[COMPLETION_CHECK_PROPERTY]).toBe(true);
  });

  it('past the deadline, passes on a completion kept in time rather than failing the job', async () => {
    const model = heldModel();
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    const first = invokeModel(deps, message);
    await settle();
    deps.now = message.deadlineAt - 1_000;
    model.answer(0, answer('r1'));
    await first;

    // Delivered again past the deadline (the first delivery never settled): the answer goes on.
    deps.now = message.deadlineAt + 1_000;
    await invokeModel(deps, message, undefined, AGAIN);
    expect(deps.publisher.on('persist')).toHaveLength(0);
    expect(deps.publisher.on('postprocess')).toHaveLength(2);
  });

  it('past the deadline with nothing kept, the check ends the job once no earlier call can answer', async () => {
    const model = countingModel(answer('r1'));
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    deps.now = message.deadlineAt + 1_000;
    await invokeModel(deps, message, undefined, AGAIN);
    expect(deps.publisher.on('persist')).toHaveLength(0);

    deps.now += deps.modelCallBoundMs;
    await deliverInvoke(deps, deps.publisher.on('invoke').at(-1)!);
    expect(model.calls).toBe(0);
    const [ended] = deps.publisher.on('persist');
    // The earlier delivery's call may have been charged: an attempt, flagged on the failed job.
    expect(ended?.body).toMatchObject({
      attempts: 1,
      outcome: { status: 'failed', error: { code: 'deadline_exceeded' }, usage: { unseenCalls: 1 } },
    });
    await persistOutcome(deps, ended!.body as PersistMessage);
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job).toMatchObject({ status: 'failed', attempts: 1, usage: { totalTokens: 0, unseenCalls: 1 } });
  });

  it('keeps the unseen call when the job then waits for quota until its deadline', async () => {
    const deps = fakeStage({
      complete: () => Promise.reject(new RetryAfterError('no quota', 20_000, QUOTA_PACED_REASON)),
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message, undefined, AGAIN);
    deps.now += deps.modelCallBoundMs;
    await deliverInvoke(deps, deps.publisher.on('invoke').at(-1)!);
    // Paced: the same attempt again later, still carrying the call nobody saw.
    const paced = deps.publisher.on('invoke').at(-1)!;
    expect(paced.body).toMatchObject({ attempt: 0, unseenCalls: 1 });

    deps.now = message.deadlineAt - 1_000;
    await deliverInvoke(deps, paced);
    const [ended] = deps.publisher.on('persist');
    expect(ended?.body).toMatchObject({
      attempts: 1,
      outcome: { status: 'failed', error: { code: 'deadline_exceeded' }, usage: { unseenCalls: 1 } },
    });
  });

  it('an expiry after a call nobody saw ends the job expired with the call flagged', async () => {
    const deps = fakeStage(countingModel(answer('r1')));
    const message = await acceptedInvokeMessage(deps, { expires_after: 60 });
    await invokeModel(deps, message, undefined, AGAIN);
    deps.now = message.expiresAt! + 1_000;
    await deliverInvoke(deps, deps.publisher.on('invoke').at(-1)!);
    const [ended] = deps.publisher.on('persist');
    expect(ended?.body).toMatchObject({
      attempts: 1,
      outcome: { status: 'expired', usage: { totalTokens: 0, unseenCalls: 1 } },
    });
    await persistOutcome(deps, ended!.body as PersistMessage);
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job).toMatchObject({ status: 'expired', attempts: 1, usage: { unseenCalls: 1 } });
  });

  it('does nothing once its job has finished with its usage, and reads no kept completion for it', async () => {
    const model = countingModel(answer('r1'));
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    const stored = await deps.jobs.get(message.tenantId, message.jobId);
    const usage = { promptTokens: 7, completionTokens: 2, cachedTokens: 0, totalTokens: 9, costUsd: 0 };
    await deps.jobs.replace({ ...stored!.job, status: 'succeeded', usage }, stored!.etag);

    await invokeModel(deps, message, undefined, AGAIN);
    expect(model.calls).toBe(0);
    expect(deps.completions.operations.finds).toBe(0);
    expect(deps.publisher.on('invoke')).toHaveLength(1);
  });
});

describe('invokeDeliveryOf', () => {
  it('reads a repeat from the delivery count, a redrive, and the completion check property', () => {
    expect(invokeDeliveryOf({ deliveryCount: 0, applicationProperties: {} })).toEqual({
      redelivered: false,
      completionCheck: false,
    });
    expect(invokeDeliveryOf({ deliveryCount: 1, applicationProperties: {} }).redelivered).toBe(true);
    expect(
      invokeDeliveryOf({ deliveryCount: 0, applicationProperties: { redriveCount: 1 } }).redelivered,
    ).toBe(true);
    expect(
      invokeDeliveryOf({ deliveryCount: 0, applicationProperties: { [COMPLETION_CHECK_PROPERTY]: true } }),
    ).toEqual({ redelivered: false, completionCheck: true });
  });
});

describe('modelCallBoundMs', () => {
  it('is the timeout of every deployment one call may try (at most 3), plus a margin', () => {
    expect(modelCallBoundMs(4_000, { a: [1] })).toBe(6_000);
    expect(modelCallBoundMs(4_000, { a: [1], b: [1, 2] })).toBe(10_000);
    expect(modelCallBoundMs(120_000, { a: [1, 2, 3, 4, 5] })).toBe(362_000);
  });
});
