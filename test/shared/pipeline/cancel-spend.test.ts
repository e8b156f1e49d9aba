/**
 * Cancel stops spend: a job cancelled while it waited is never sent to the model; a call in flight for a
 * job cancelled meanwhile is aborted; tokens of a call whose result a cancel discarded are recorded on
 * the cancelled job. A job that goes straight from accept to its call reads nothing extra.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PersistMessage } from '../../../shared/messaging/stage-messages.js';
import { cancelJob } from '../../../shared/pipeline/cancel.js';
import { WAITED_MS, WATCH_INTERVAL_MS } from '../../../shared/pipeline/cancel-watch.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { persistOutcome } from '../../../shared/pipeline/persist.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import type { PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { countingModel, modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const completion = modelAnswer({ responseId: 'r1', content: 'hi', promptTokens: 7, completionTokens: 2 });

afterEach(() => vi.useRealTimers());

describe('cancel stops spend', () => {
  it('a job that goes straight to its call reads nothing extra', async () => {
    const model = countingModel(completion);
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    const reads = deps.jobs.operations.reads;
    await invokeModel(deps, message);
    expect(model.calls).toBe(1);
    expect(deps.jobs.operations.reads - reads).toBe(0);
  });

  it('a retry of a job cancelled meanwhile is not sent to the model', async () => {
    const model = countingModel(completion);
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await cancelJob(deps, 't1', message.jobId, newTrace());
    await invokeModel(deps, { ...message, attempt: 1, hop: 1 });
    expect(model.calls).toBe(0);
    expect(deps.publisher.on('postprocess')).toHaveLength(0);
    expect(deps.publisher.on('persist')).toHaveLength(0);
  });

  it('a job that waited before its first call is checked too', async () => {
    const model = countingModel(completion);
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await cancelJob(deps, 't1', message.jobId, newTrace());
    deps.now += WAITED_MS + 1;
    await invokeModel(deps, message);
    expect(model.calls).toBe(0);
  });

  it('a call in flight is aborted once the watch sees the job cancelled', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let signal: AbortSignal | undefined;
    const deps = fakeStage({
      complete: (_request, context) =>
        new Promise((_resolve, reject) => {
          signal = context.signal;
          context.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    });
    const message = await acceptedInvokeMessage(deps);
    const running = invokeModel(deps, message);
    await cancelJob(deps, 't1', message.jobId, newTrace());
    await vi.advanceTimersByTimeAsync(WATCH_INTERVAL_MS);
    await running;
    expect(signal?.aborted).toBe(true);
    // Aborted for the cancel: no retry scheduled, nothing sent on.
    expect(deps.publisher.on('invoke')).toHaveLength(1);
    expect(deps.publisher.on('persist')).toHaveLength(0);
    // The model may have billed what it generated before the abort: the cancelled job flags the call.
    const stored = await deps.jobs.get('t1', message.jobId);
    expect(stored?.job).toMatchObject({ status: 'cancelled', usage: { totalTokens: 0, unseenCalls: 1 } });
  });

  it('a retry of a job cancelled meanwhile keeps the timed-out calls it carries on the job', async () => {
    const model = countingModel(completion);
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await cancelJob(deps, 't1', message.jobId, newTrace());
    const retry = { ...message, attempt: 2, hop: 2, timedOutCalls: 2 };
    await invokeModel(deps, retry);
    expect(model.calls).toBe(0);
    const stored = await deps.jobs.get('t1', message.jobId);
    expect(stored?.job.usage).toMatchObject({ totalTokens: 0, unseenCalls: 2 });
    // Delivered again: flagged once only.
    const replaces = deps.jobs.operations.replaces;
    await invokeModel(deps, retry);
    expect(deps.jobs.operations.replaces).toBe(replaces);
  });

  it('the tokens of a completed call whose result the cancel discarded are recorded on the job', async () => {
    const deps = fakeStage(countingModel(completion));
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
    await cancelJob(deps, 't1', message.jobId, newTrace());
    const persist = deps.publisher.on('persist')[0]!.body as PersistMessage;
    expect(await persistOutcome(deps, persist)).toBe('ignored');
    const stored = await deps.jobs.get('t1', message.jobId);
    expect(stored?.job.status).toBe('cancelled');
    expect(stored?.job.result).toBeUndefined();
    expect(stored?.job.usage).toMatchObject({ promptTokens: 7, completionTokens: 2 });
    // A repeat of the message records nothing more.
    const replaces = deps.jobs.operations.replaces;
    await persistOutcome(deps, persist);
    expect(deps.jobs.operations.replaces).toBe(replaces);
  });
});

describe('a redelivered invoke message', () => {
  it('is not sent to the model again once its job has finished', async () => {
    const model = countingModel(completion);
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
    await persistOutcome(deps, deps.publisher.on('persist')[0]!.body as PersistMessage);
    // The same message again (its lock was lost after the call): the job is already succeeded.
    await invokeModel(deps, message, undefined, { redelivered: true, completionCheck: false });
    expect(model.calls).toBe(1);
    expect(deps.publisher.on('postprocess')).toHaveLength(1);
    expect(deps.publisher.on('invoke')).toHaveLength(1);
  });
});
