/**
 * Two deliveries of one invoke message that both called the model: the job goes on with the completion
 * kept first, and the other one's tokens, billed all the same, are added to the job's usage once it is
 * finished, once however often the adding message is delivered.
 */
import { describe, expect, it } from 'vitest';
import type { PersistMessage, PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { cancelJob } from '../../../shared/pipeline/cancel.js';
import { EXTRA_CHARGE_PROPERTY, extraChargeOf } from '../../../shared/pipeline/extra-charge.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { persistOutcome } from '../../../shared/pipeline/persist.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { deliverInvoke, settle } from '../../fakes/invoke-delivery.js';
import { heldModel, modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage, type FakeStage } from '../../fakes/stage-deps.js';

const answer = (responseId: string, completionTokens: number) =>
  modelAnswer({ responseId, promptTokens: 7, completionTokens });

/** Postprocess and persist the first postprocess message sent: the job ends `succeeded`. */
async function finish(deps: FakeStage): Promise<void> {
  await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
  await persistOutcome(deps, deps.publisher.on('persist')[0]!.body as PersistMessage);
}

/**
 * The first delivery's call outlasts the wait of the repeated delivery's completion check, which calls
 * too and answers first (r2, 5 completion tokens); then the first answers (r1, 3 completion tokens).
 */
async function racingCompletions(deps: FakeStage & { model: ReturnType<typeof heldModel> }) {
  const message = await acceptedInvokeMessage(deps);
  const first = invokeModel(deps, message);
  await settle();
  await invokeModel(deps, message, undefined, { redelivered: true, completionCheck: false });
  deps.now += deps.modelCallBoundMs;
  const check = deliverInvoke(deps, deps.publisher.on('invoke').at(-1)!);
  await settle();
  expect(deps.model.calls).toBe(2);
  deps.model.answer(1, answer('r2', 5));
  await check;
  return { message, first };
}

function racingStage() {
  const model = heldModel();
  return Object.assign(fakeStage(model), { model });
}

describe('an extra completion of one attempt', () => {
  it('passes on the completion kept first and adds its own tokens once the job is finished', async () => {
    const deps = racingStage();
    const { message, first } = await racingCompletions(deps);

    deps.model.answer(0, answer('r1', 3));
    await first;
    // The job goes on with r2 only: the late delivery sent r2 again under the same id.
    const sent = deps.publisher.on('postprocess');
    expect(sent.map((m) => (m.body as PostprocessMessage).completion.responseId)).toEqual(['r2', 'r2']);
    // The job is still queued: the charge waits in a scheduled message.
    const charge = deps.publisher.on('invoke').at(-1)!;
    expect(charge.messageId).toBe(`${message.jobId}:charge:r1:1`);
    expect(charge.scheduledAt?.getTime()).toBe(deps.now + 2_000);

    await finish(deps);
    expect((await deps.jobs.get('t1', message.jobId))?.job.usage?.totalTokens).toBe(12);
    deps.now += 2_000;
    await deliverInvoke(deps, charge);
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job?.status).toBe('succeeded');
    expect(job?.result?.content).toBe('answer r2');
    expect(job?.usage).toMatchObject({ promptTokens: 14, completionTokens: 8, totalTokens: 22 });
    expect(job?.usage?.costUsd).toBeCloseTo(14 * 0.000001 + 8 * 0.000002, 12);
    expect(job?.extraChargeIds).toEqual(['r1']);

    // Delivered again (its settlement lost): nothing is added twice.
    await deliverInvoke(deps, charge, 1);
    expect((await deps.jobs.get('t1', message.jobId))?.job.usage?.totalTokens).toBe(22);
  });

  it('adds its tokens at once when the job finished before it answered', async () => {
    const deps = racingStage();
    const { message, first } = await racingCompletions(deps);
    await finish(deps);
    const invokes = deps.publisher.on('invoke').length;

    deps.model.answer(0, answer('r1', 3));
    await first;
    expect(deps.publisher.on('invoke')).toHaveLength(invokes);
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job?.usage?.totalTokens).toBe(22);
    expect(job?.extraChargeIds).toEqual(['r1']);
  });

  it('on a job cancelled before any usage was recorded, records the kept completion too', async () => {
    const deps = racingStage();
    const { message, first } = await racingCompletions(deps);
    await cancelJob(deps, 't1', message.jobId, newTrace());

    deps.model.answer(0, answer('r1', 3));
    await first;
    const job = (await deps.jobs.get('t1', message.jobId))?.job;
    expect(job?.status).toBe('cancelled');
    expect(job?.usage?.totalTokens).toBe(22);

    // The kept completion's own persist comes later: it finds usage recorded and leaves it.
    await finish(deps);
    expect((await deps.jobs.get('t1', message.jobId))?.job.usage?.totalTokens).toBe(22);
  });

  it('waits longer each time the job is still not finished', async () => {
    const deps = racingStage();
    const { message, first } = await racingCompletions(deps);
    deps.model.answer(0, answer('r1', 3));
    await first;
    const charge = deps.publisher.on('invoke').at(-1)!;

    deps.now += 2_000;
    await deliverInvoke(deps, charge);
    const next = deps.publisher.on('invoke').at(-1)!;
    expect(next.messageId).toBe(`${message.jobId}:charge:r1:2`);
    expect(next.scheduledAt?.getTime()).toBe(deps.now + 4_000);
    expect(extraChargeOf(next.applicationProperties)?.round).toBe(2);
    expect((await deps.jobs.get('t1', message.jobId))?.job.usage).toBeUndefined();
  });

  it('a malformed charge property is not a charge', () => {
    expect(extraChargeOf({ [EXTRA_CHARGE_PROPERTY]: '{not json' })).toBeUndefined();
    expect(extraChargeOf({ [EXTRA_CHARGE_PROPERTY]: JSON.stringify({ responseId: 'r1' }) })).toBeUndefined();
    expect(extraChargeOf({})).toBeUndefined();
  });
});
