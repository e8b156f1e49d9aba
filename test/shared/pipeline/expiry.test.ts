/**
 * `expires_after`: accept records when a job expires (the job's own value, else the platform default);
 * the invoke stage ends a job past it `expired` without calling the model; persist writes the new
 * terminal status and the `job.expired` event goes to deliver.
 */
import { describe, expect, it } from 'vitest';
import { SubmitJobSchema } from '../../../shared/jobs/submission.js';
import type { PersistMessage } from '../../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { persistOutcome } from '../../../shared/pipeline/persist.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const completion = modelAnswer({ responseId: 'r1', content: 'hi', promptTokens: 7, completionTokens: 2 });

describe('job expiry', () => {
  it('expires_after is bounded: at least a minute, at most a week, whole seconds', () => {
    const base = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    expect(SubmitJobSchema.safeParse({ ...base, expires_after: 60 }).success).toBe(true);
    expect(SubmitJobSchema.safeParse({ ...base, expires_after: 604_800 }).success).toBe(true);
    for (const bad of [59, 604_801, 1.5, '600', -1]) {
      const parsed = SubmitJobSchema.safeParse({ ...base, expires_after: bad });
      expect(parsed.success, String(bad)).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['expires_after']);
    }
  });

  it('accept records expiresAt from expires_after, else from the default, else none', async () => {
    const deps = fakeStage();
    const own = await acceptedInvokeMessage(deps, { expires_after: 120 });
    expect(own.expiresAt).toBe(deps.now + 120_000);
    expect((await deps.jobs.get('t1', own.jobId))?.job.expiresAt).toBe(deps.now + 120_000);
    expect((await acceptedInvokeMessage(deps)).expiresAt).toBeUndefined();
    const withDefault = fakeStage();
    (withDefault.settings as { defaultExpiresAfterMs?: number }).defaultExpiresAfterMs = 600_000;
    expect((await acceptedInvokeMessage(withDefault)).expiresAt).toBe(withDefault.now + 600_000);
    // The stored request does not carry the option: the model is sent the chat request only.
    expect((await deps.jobs.get('t1', own.jobId))?.job.request).not.toHaveProperty('expires_after');
    expect(own.request).not.toHaveProperty('expires_after');
  });

  it('a job past its expiry ends expired, the model is never called, and job.expired is delivered', async () => {
    let calls = 0;
    const deps = fakeStage({ complete: () => ((calls += 1), Promise.resolve(completion)) });
    const message = await acceptedInvokeMessage(deps, { expires_after: 60 });
    deps.now = message.expiresAt!;
    await invokeModel(deps, message);
    expect(calls).toBe(0);
    const persist = deps.publisher.on('persist')[0]?.body as PersistMessage;
    expect(persist.outcome).toEqual({
      status: 'expired',
      error: { code: 'expired', message: 'The job expired (expires_after) before its model was called.' },
    });
    expect(await persistOutcome(deps, persist)).toBe('written');
    const stored = await deps.jobs.get('t1', message.jobId);
    expect(stored?.job).toMatchObject({ status: 'expired', error: { code: 'expired' } });
    expect(stored?.job.completedAt).toBeDefined();
    expect(
      deps.publisher.on('deliver').map((m) => (m.body as { event: { type: string } }).event.type),
    ).toEqual(['job.expired']);
  });

  it('a job before its expiry runs as usual', async () => {
    let calls = 0;
    const deps = fakeStage({ complete: () => ((calls += 1), Promise.resolve(completion)) });
    const message = await acceptedInvokeMessage(deps, { expires_after: 60 });
    deps.now = message.expiresAt! - 1;
    await invokeModel(deps, message);
    expect(calls).toBe(1);
    expect(deps.publisher.on('postprocess')).toHaveLength(1);
  });
});
