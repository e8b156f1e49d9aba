/**
 * The queue-triggered pipeline stages, one thin trigger each.
 */
import {
  InvokeMessageSchema,
  PersistMessageSchema,
  PostprocessMessageSchema,
} from '../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../shared/stages/invoke.js';
import { persistOutcome } from '../../shared/stages/persist.js';
import { postprocessCompletion } from '../../shared/stages/postprocess.js';
import type { QueueFunctionDefinition } from '../definitions.js';
import { stageTrigger } from './stage-trigger.js';

const invoke = stageTrigger('invoke', InvokeMessageSchema, ({ services, body, traceparent }) =>
  invokeModel(services.invoke, body, traceparent),
);

const postprocess = stageTrigger('postprocess', PostprocessMessageSchema, ({ services, body, traceparent }) =>
  postprocessCompletion(services.postprocess, body, traceparent),
);

const persist = stageTrigger('persist', PersistMessageSchema, async ({ services, body, traceparent }) => {
  await persistOutcome(services.stage, body, traceparent);
});

export const stageFunctions: readonly QueueFunctionDefinition[] = [
  { kind: 'serviceBusQueue', name: 'invoke', queueName: 'invoke', handler: invoke },
  { kind: 'serviceBusQueue', name: 'postprocess', queueName: 'postprocess', handler: postprocess },
  { kind: 'serviceBusQueue', name: 'persist', queueName: 'persist', handler: persist },
];
