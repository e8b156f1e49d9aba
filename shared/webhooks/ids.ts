/**
 * Delivery ids: one delivery per event and endpoint, `<endpointId>:<webhookId>`, so planning the same event
 * twice finds the delivery it already stored. Checked at the edge (the attempts API's `deliveryId`) before
 * the value reaches a query.
 */
import { z } from 'zod';
import { EndpointIdSchema } from '../jobs/ids.js';

/** What webhookIdFor (./events.ts) mints: the Standard Webhooks `webhook-id`. */
const WEBHOOK_ID = /^evt_[0-9a-f]{32}$/;

export function deliveryIdFor(endpointId: string, webhookId: string): string {
  return `${endpointId}:${webhookId}`;
}

export const DeliveryIdSchema = z
  .string()
  .max(72)
  .refine(
    (value) => {
      const [endpointId, webhookId, ...rest] = value.split(':');
      return (
        rest.length === 0 &&
        EndpointIdSchema.safeParse(endpointId).success &&
        WEBHOOK_ID.test(webhookId ?? '')
      );
    },
    { message: 'a delivery id: <endpoint id>:evt_ followed by 32 hex digits' },
  );
