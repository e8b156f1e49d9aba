/**
 * The queue-triggered pipeline stages, one thin trigger each.
 */
import {
  InvokeMessageSchema,
  PersistMessageSchema,
  PostprocessMessageSchema,
} from '../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../shared/pipeline/invoke.js';
import { invokeDeliveryOf } from '../../shared/pipeline/invoke-repeat.js';
import { persistOutcome } from '../../shared/pipeline/persist.js';
import { postprocessCompletion } from '../../shared/pipeline/postprocess.js';
import { recordJobFinished } from '../../shared/telemetry/metrics.js';
import { stageTrigger } from './stage-trigger.js';

export const invoke = stageTrigger(
  'invoke',
  InvokeMessageSchema,
  ({ services, body, message, traceparent }) =>
    invokeModel(services.invoke, body, traceparent, invokeDeliveryOf(message)),
);

export const postprocess = stageTrigger(
  'postprocess',
  PostprocessMessageSchema,
  ({ services, body, traceparent }) => postprocessCompletion(services.postprocess, body, traceparent),
);

export const persist = stageTrigger(
  'persist',
  PersistMessageSchema,
  async ({ services, body, traceparent }) => {
    // Counted only by the write that ended the job, so a redelivered persist message is not a second job.
    if ((await persistOutcome(services.events, body, traceparent)) !== 'written') return;
    const { outcome } = body;
    const cost =
      outcome.status === 'succeeded'
        ? { model: outcome.result.model, usd: outcome.usage.costUsd }
        : outcome.status === 'failed' && outcome.usage
          ? { model: 'unknown', usd: outcome.usage.costUsd }
          : undefined;
    recordJobFinished(body.tenantId, outcome.status, cost);
  },
);
