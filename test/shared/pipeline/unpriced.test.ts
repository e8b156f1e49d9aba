/**
 * A model without a price: its usage is recorded in full, `costUsd` is 0 with `costUnknown: true` on the
 * job, never a silent $0, and a warning names the model.
 */
import { describe, expect, it } from 'vitest';
import type { PersistMessage, PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { countingModel, modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const model = countingModel(
  modelAnswer({
    responseId: 'r1',
    content: 'hi',
    promptTokens: 7,
    completionTokens: 2,
    model: 'llama-unpriced',
  }),
);

describe('an unpriced model', () => {
  it('flags the job costUnknown and warns, instead of pricing it at 0', async () => {
    const deps = fakeStage(model);
    (deps as { costOf: unknown }).costOf = () => undefined;
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
    const persist = deps.publisher.on('persist')[0]!.body as PersistMessage;
    expect(persist.outcome.status === 'succeeded' && persist.outcome.usage).toEqual({
      promptTokens: 7,
      completionTokens: 2,
      cachedTokens: 0,
      totalTokens: 9,
      costUsd: 0,
      costUnknown: true,
      capacity: 'realtime',
    });
    expect(deps.logger.lines.find((l) => l.event === 'model.price_missing')).toMatchObject({
      model: 'llama-unpriced',
      deployment: 'd1',
    });
  });

  it('a priced model carries no flag', async () => {
    const deps = fakeStage(model);
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
    const persist = deps.publisher.on('persist')[0]!.body as PersistMessage;
    expect(persist.outcome.status === 'succeeded' && persist.outcome.usage).not.toHaveProperty('costUnknown');
    expect(deps.logger.lines.some((l) => l.event === 'model.price_missing')).toBe(false);
  });
});
