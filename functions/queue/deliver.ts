/**
 * The `deliver` queue trigger: fan a job event out to its endpoints, or make one webhook attempt. Thin: the
 * use case is shared/pipeline/deliver.ts; settlement and error mapping are stageTrigger's.
 */
import { DeliverQueueBodySchema, runDeliverStage } from '../../shared/pipeline/deliver.js';
import { stageTrigger } from './stage-trigger.js';

export const deliver = stageTrigger(
  'deliver',
  DeliverQueueBodySchema,
  async ({ services, body, traceparent }) => {
    await runDeliverStage(services.webhooks, body, traceparent);
  },
);
