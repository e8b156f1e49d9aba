import { describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, RetryAfterError } from '../../../shared/errors/index.js';
import type { PersistMessage, PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { QUOTA_PACED_REASON } from '../../../shared/model/client.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const completion = modelAnswer({ responseId: 'r1', content: 'hi', promptTokens: 7, completionTokens: 2 });

describe('invokeModel', () => {
  it('passes the completion on to postprocess with the attempt count and stage timings', async () => {
    const deps = fakeStage({ complete: () => Promise.resolve(completion) });
    const message = await acceptedInvokeMessage(deps);
    deps.now += 250;
    await invokeModel(deps, message);

    const [next] = deps.publisher.on('postprocess');
    expect(next?.messageId).toBe(`${message.jobId}:postprocess:1`);
    const body = next?.body as PostprocessMessage;
    expect(body.completion).toEqual(completion);
    expect(body.attempts).toBe(1);
    expect(body.timings.invokeStartedAt).toBe(deps.now);
  });

  it('ends the job as failed with the reason of a permanent error', async () => {
    const deps = fakeStage({
      complete: () => Promise.reject(new PermanentError('blocked by the content filter', 'content_filter')),
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);

    const body = deps.publisher.on('persist')[0]?.body as PersistMessage;
    expect(body.outcome).toEqual({
      status: 'failed',
      error: { code: 'content_filter', message: 'blocked by the content filter' },
    });
    expect(deps.publisher.on('invoke')).toHaveLength(1);
  });

  it('schedules attempt + 1 no earlier than the dependency asked, instead of sleeping', async () => {
    const deps = fakeStage({
      complete: () => Promise.reject(new RetryAfterError('429', 7_000, 'rate_limited')),
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);

    const retry = deps.publisher.on('invoke').at(-1);
    expect(retry?.messageId).toBe(`${message.jobId}:invoke:1`);
    expect(retry?.scheduledAt?.getTime()).toBeGreaterThanOrEqual(deps.now + 7_000);
    expect(deps.publisher.on('persist')).toHaveLength(0);
  });

  it('does not count quota pacing as an attempt', async () => {
    const deps = fakeStage({
      complete: () => Promise.reject(new RetryAfterError('quota full', 1_500, QUOTA_PACED_REASON)),
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, { ...message, attempt: 3 });

    const retry = deps.publisher.on('invoke').at(-1);
    expect(retry?.body).toMatchObject({ attempt: 3, hop: 1 });
    // A new message id even though the attempt is the same: duplicate detection must not drop the job.
    expect(retry?.messageId).toBe(`${message.jobId}:invoke:1`);
    expect(retry?.scheduledAt?.getTime()).toBe(deps.now + 1_500);
  });

  it('fails the job when the attempt budget is spent', async () => {
    const deps = fakeStage({ complete: () => Promise.reject(new RetryAfterError('503', 0, 'server_error')) });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, { ...message, attempt: deps.settings.maxAttempts - 1 });

    const body = deps.publisher.on('persist')[0]?.body as PersistMessage;
    expect(body.outcome).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    expect(body.outcome.status === 'failed' && body.outcome.error.message).toContain('server_error');
  });

  it('fails the job when the retry would land after its deadline', async () => {
    const deps = fakeStage({
      complete: () => Promise.reject(new ConfigurationError('401 from the model', 30 * 60_000)),
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, { ...message, deadlineAt: deps.now + 60_000 });

    expect(deps.publisher.on('persist')[0]?.body).toMatchObject({
      outcome: { error: { code: 'deadline_exceeded' } },
    });
    expect(deps.logger.lines.some((line) => line.event === 'model.configuration_error')).toBe(true);
  });

  it('fails a job whose deadline passed without calling the model', async () => {
    let calls = 0;
    const deps = fakeStage({ complete: () => ((calls += 1), Promise.resolve(completion)) });
    const message = await acceptedInvokeMessage(deps);
    deps.now = message.deadlineAt + 1;
    await invokeModel(deps, message);
    expect(calls).toBe(0);
    expect(deps.publisher.on('persist')[0]?.body).toMatchObject({
      outcome: { error: { code: 'deadline_exceeded' } },
    });
  });

  it('treats an unexpected error as transient with backoff', async () => {
    const deps = fakeStage({ complete: () => Promise.reject(new Error('socket hang up')) });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    const retry = deps.publisher.on('invoke').at(-1);
    expect(retry?.body).toMatchObject({ attempt: 1 });
    expect(retry?.scheduledAt?.getTime()).toBeGreaterThan(deps.now);
  });
  it('hands the model the attempts spent, so a job on a retry is quarantined from the breaker', async () => {
    const seen: number[] = [];
    let fail = true;
    const deps = fakeStage({
      complete: (_request, context) => {
        seen.push(context.attempt);
        if (!fail) return Promise.resolve(completion);
        fail = false;
        return Promise.reject(new RetryAfterError('500', 1_000, 'model_http_500'));
      },
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    const retry = deps.publisher.on('invoke').at(-1)?.body as typeof message;
    await invokeModel(deps, retry);
    expect(seen).toEqual([0, 1]);
    expect(deps.publisher.on('postprocess')[0]?.body).toMatchObject({ attempts: 2 });
  });

  it('ends a job on a permanent error even on a retry, whatever state the deployment is in', async () => {
    const deps = fakeStage({
      complete: () => Promise.reject(new PermanentError('blocked by the content filter', 'content_filter')),
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, { ...message, attempt: 4 });
    expect(deps.publisher.on('persist')[0]?.body).toMatchObject({
      outcome: { status: 'failed', error: { code: 'content_filter' } },
    });
    expect(deps.publisher.on('invoke')).toHaveLength(1);
  });

  it('flags a timed-out call in the usage of the job, as an attempt counted once, however it ends', async () => {
    let calls = 0;
    const timedOut = (context: { onUnanswered?: () => void }) => {
      context.onUnanswered?.();
      return Promise.reject(new RetryAfterError('timed out', 1_000, 'model_timeout'));
    };
    const deps = fakeStage({
      complete: (_request, context) => {
        calls += 1;
        // A timeout on the first deployment, then a second deployment answers: one attempt, one flag.
        if (calls === 2) context.onUnanswered?.();
        return calls === 2 ? Promise.resolve(completion) : timedOut(context);
      },
    });
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    const retry = deps.publisher.on('invoke').at(-1)?.body as typeof message;
    expect(retry).toMatchObject({ attempt: 1, timedOutCalls: 1 });
    await invokeModel(deps, retry);
    expect(deps.publisher.on('postprocess')[0]?.body).toMatchObject({ attempts: 2, unseenCalls: 2 });

    // Timing out until the budget is spent: the failed job flags every call, and counts each once.
    const other = await acceptedInvokeMessage(deps);
    await invokeModel(deps, { ...other, attempt: deps.settings.maxAttempts - 1, timedOutCalls: 2 });
    expect(deps.publisher.on('persist').at(-1)?.body).toMatchObject({
      attempts: deps.settings.maxAttempts,
      outcome: { status: 'failed', error: { code: 'attempts_exhausted' }, usage: { unseenCalls: 3 } },
    });
  });
});
