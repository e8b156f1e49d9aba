/**
 * The `batch.*` webhook event types, apart from their emitter (./events.ts) so the webhook event
 * catalogue (shared/webhooks/events.ts) can list them without importing the delivery code.
 */
import { z } from 'zod';

export const BATCH_EVENT_TYPES = [
  'batch.completed',
  'batch.failed',
  'batch.expired',
  'batch.cancelled',
] as const;
export const BatchEventTypeSchema = z.enum(BATCH_EVENT_TYPES);
export type BatchEventType = z.infer<typeof BatchEventTypeSchema>;
