import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseIsoDuration } from './duration.js';

/** One queue as infra/definitions/queues.json (the Bicep source of truth) describes it. */
export interface QueueDefinition {
  name: string;
  description?: string;
  lockDuration?: string;
  maxDeliveryCount?: number;
  requiresDuplicateDetection?: boolean;
  duplicateDetectionHistoryTimeWindow?: string;
  requiresSession?: boolean;
  defaultMessageTimeToLive?: string;
  deadLetteringOnMessageExpiration?: boolean;
  maxMessageSizeInKilobytes?: number;
  maxSizeInMegabytes?: number;
}

/** The same queue with durations in milliseconds and Service Bus defaults filled in. */
export interface QueueSettings {
  name: string;
  lockDurationMs: number;
  maxDeliveryCount: number;
  requiresDuplicateDetection: boolean;
  duplicateWindowMs: number;
  requiresSession: boolean;
  defaultTtlMs: number;
  deadLetteringOnMessageExpiration: boolean;
  maxMessageSizeBytes: number;
}

// Service Bus: lock duration is at most 5 minutes; default TTL and duplicate window defaults per the ARM schema.
const MAX_LOCK_MS = 5 * 60_000;

export function toQueueSettings(def: QueueDefinition): QueueSettings {
  if (!def.name || /[\s/]|^\$/.test(def.name)) throw new Error(`Invalid queue name: '${def.name}'`);
  const lockDurationMs = parseIsoDuration(def.lockDuration ?? 'PT1M');
  if (lockDurationMs <= 0 || lockDurationMs > MAX_LOCK_MS) {
    throw new Error(`Queue '${def.name}': lockDuration must be > 0 and at most PT5M`);
  }
  return {
    name: def.name,
    lockDurationMs,
    maxDeliveryCount: def.maxDeliveryCount ?? 10,
    requiresDuplicateDetection: def.requiresDuplicateDetection ?? false,
    duplicateWindowMs: parseIsoDuration(def.duplicateDetectionHistoryTimeWindow ?? 'PT10M'),
    requiresSession: def.requiresSession ?? false,
    defaultTtlMs: parseIsoDuration(def.defaultMessageTimeToLive ?? 'P10675199D'),
    deadLetteringOnMessageExpiration: def.deadLetteringOnMessageExpiration ?? false,
    maxMessageSizeBytes: (def.maxMessageSizeInKilobytes ?? 256) * 1024,
  };
}

const DEFAULT_FILE = fileURLToPath(new URL('../../../infra/definitions/queues.json', import.meta.url));

/** Reads the queue definitions the Bicep templates use (works from both src and dist via the repo root). */
export function loadQueueDefinitions(file?: string): QueueDefinition[] {
  const candidates = file
    ? [file]
    : [DEFAULT_FILE, fileURLToPath(new URL('../../infra/definitions/queues.json', import.meta.url))];
  for (const candidate of candidates) {
    try {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { queues?: QueueDefinition[] };
      if (!Array.isArray(parsed.queues)) throw new Error(`${candidate}: missing 'queues' array`);
      return parsed.queues;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`Queue definitions not found (looked in ${candidates.join(', ')})`);
}
