/**
 * The `deliver` queue message: one event for one endpoint. It carries the exact payload (events over the
 * inline limit already carry a link, so it stays far below the 256 KB message cap).
 */
import { z } from 'zod';
import { EndpointIdSchema } from '../jobs/ids.js';
import { WEBHOOK_EVENT_TYPES } from './events.js';
import { DeliveryIdSchema } from './ids.js';

export const DeliveryMessageSchema = z.object({
  kind: z.literal('webhook.delivery'),
  tenantId: z.string().min(1),
  // Our own planning writes these from stored endpoints; anything else is a bug or a foreign sender, and
  // must not reach a store read (an id Cosmos DB refuses would fail every delivery of the message).
  endpointId: EndpointIdSchema,
  deliveryId: DeliveryIdSchema,
  webhookId: z.string().min(1),
  jobId: z.string().min(1),
  eventType: z.enum(WEBHOOK_EVENT_TYPES),
  payload: z.string().min(1),
  /** 0 for the original delivery, n for the n-th replay: keeps replay message ids distinct. */
  replay: z.number().int().min(0).default(0),
});
export type DeliveryMessage = z.output<typeof DeliveryMessageSchema>;

/** Port: send `message` to the `deliver` queue for `attempt`, visible after `delayMs` (a scheduled message). */
export interface DeliveryScheduler {
  schedule(message: DeliveryMessage, attempt: number, delayMs: number): Promise<void>;
}
