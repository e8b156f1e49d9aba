/**
 * The queue-triggered pipeline stages, one thin trigger each.
 */
import {
  InvokeMessageSchema,
  PersistMessageSchema,
  PostprocessMessageSchema,
} from '../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../shared/pipeline/invoke.js';
import { persistOutcome } from '../../shared/pipeline/persist.js';
import { postprocessCompletion } from '../../shared/pipeline/postprocess.js';
import { stageTrigger } from './stage-trigger.js';

export const invoke = stageTrigger('invoke', InvokeMessageSchema, ({ services, body, traceparent }) =>
  invokeModel(services.invoke, body, traceparent),
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
    await persistOutcome(services.events, body, traceparent);
  },
);
