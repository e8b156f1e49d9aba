/**
 * The `batch.*` webhook event types. They live with the webhook event catalogue (./events.ts), which lists
 * them, rather than with their emitter (shared/batches/events.ts): batches use webhooks, not the reverse.
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
