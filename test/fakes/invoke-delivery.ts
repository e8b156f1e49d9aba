/**
 * Delivering to the invoke stage what it sent, as the trigger would: delivery markers read from the
 * message's application properties.
 */
import type { InvokeMessage } from '../../shared/messaging/stage-messages.js';
import { invokeModel } from '../../shared/pipeline/invoke.js';
import { invokeDeliveryOf } from '../../shared/pipeline/invoke-repeat.js';
import type { RecordedMessage } from './memory-publisher.js';
import type { FakeStage } from './stage-deps.js';

export function deliverInvoke(deps: FakeStage, sent: RecordedMessage, deliveryCount = 0): Promise<void> {
  return invokeModel(
    deps,
    sent.body as InvokeMessage,
    undefined,
    invokeDeliveryOf({ deliveryCount, applicationProperties: sent.applicationProperties }),
  );
}

/** Lets the stage's pending promise callbacks and one turn of I/O run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}
