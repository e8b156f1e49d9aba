/**
 * Delivery ids: one delivery per event and endpoint, `<endpointId>:<webhookId>`, so planning the same event
 * twice finds the delivery it already stored. Checked at the edge (the attempts API's `deliveryId`) before
 * the value reaches a query.
 */
import { z } from 'zod';
import { ENDPOINT_ID_PATTERN } from '../jobs/ids.js';

/** What webhookIdFor (./events.ts) mints: the Standard Webhooks `webhook-id`. */
const WEBHOOK_ID_PATTERN = 'evt_[0-9a-f]{32}';

export function deliveryIdFor(endpointId: string, webhookId: string): string {
  return `${endpointId}:${webhookId}`;
}

export const DeliveryIdSchema = z
  .string()
  .regex(
    new RegExp(`^${ENDPOINT_ID_PATTERN}:${WEBHOOK_ID_PATTERN}$`),
    'a delivery id: <endpoint id>:evt_ followed by 32 hex digits',
  );
