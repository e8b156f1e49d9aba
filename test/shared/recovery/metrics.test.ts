/**
 * Jobs ended outside the stages still count as finished (pipeline.jobs.finished), and an unpriced
 * completion raises pipeline.model.unpriced: the metrics see every terminal state and every unknown cost.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../../shared/pipeline/invoke.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import { endStalledJobs } from '../../../shared/recovery/stalled.js';
import { METRIC_NAMES } from '../../../shared/telemetry/metrics.js';
import { installInMemoryTelemetry } from '../../fakes/in-memory-telemetry.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { countingModel, modelAnswer } from '../../fakes/scripted-model.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const telemetry = installInMemoryTelemetry();
afterAll(() => telemetry.uninstall());

describe('metrics of recovery and cost', () => {
  it('a stalled job ended by reconciliation counts as a failed finished job', async () => {
    const deps = fakeStage();
    const message = await acceptedInvokeMessage(deps);
    deps.now = message.deadlineAt + 60_000;
    expect(await endStalledJobs(deps, { graceMs: 1_000, batch: 10 })).toBe(1);
    const finished = await telemetry.metric(METRIC_NAMES.jobsFinished);
    expect(finished).toContainEqual(
      expect.objectContaining({ attributes: { 'tenant.id': 't1', 'job.status': 'failed' }, value: 1 }),
    );
  });

  it('an unpriced completion is counted with its model', async () => {
    const deps = fakeStage(
      countingModel(
        modelAnswer({
          responseId: 'r',
          content: 'x',
          promptTokens: 1,
          completionTokens: 1,
          model: 'llama-unpriced',
        }),
      ),
    );
    (deps as { costOf: unknown }).costOf = () => undefined;
    const message = await acceptedInvokeMessage(deps);
    await invokeModel(deps, message);
    await postprocessCompletion(deps, deps.publisher.on('postprocess')[0]!.body as PostprocessMessage);
    expect(await telemetry.metric(METRIC_NAMES.unpriced)).toEqual([
      { attributes: { 'tenant.id': 't1', 'gen_ai.response.model': 'llama-unpriced' }, value: 1, count: 1 },
    ]);
  });
});
