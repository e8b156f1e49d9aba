/**
 * What the batch use cases need. Built once by the composition root (functions/composition.ts); the
 * job cancel and the webhook events come in as functions so shared/batches does not depend on how the
 * pipeline wires them.
 */
import type { FileStore } from '../files/store.js';
import type { Logger } from '../telemetry/logger.js';
import type { BatchDocument } from './batch.js';
import type { BatchStore, BulkSender, LineJobStore } from './ports.js';
import type { BatchAdmission } from './admission.js';

export interface BatchSettings {
  /** Shortest `completion_window` accepted; 86,400 s (OpenAI's `24h`) unless a test lowers it. */
  readonly minWindowSeconds: number;
  /** Longest window accepted (`24h`). */
  readonly maxWindowSeconds: number;
  readonly maxLines: number;
  readonly maxLineBytes: number;
  /** Lines per bulk create and batched send (and per checkpoint of the batch document). */
  readonly chunkLines: number;
  /** Bytes of requests per chunk at most: a chunk of long lines flushes early, bounding memory. */
  readonly chunkBytes: number;
  /** A job's retry deadline after acceptance (JOB_DEADLINE_SECONDS). */
  readonly deadlineMs: number;
  /** The queues' duplicate-detection window: a re-send within it is dropped by Service Bus. */
  readonly duplicateWindowMs: number;
  /** Seconds a finished batch is kept (its line jobs: the tenant's retention, as its other jobs). */
  readonly retentionSeconds: number;
  /** How long one sweep's fan-out waits for the tenant's jobs in flight to make room. */
  readonly admissionWaitMs: number;
  /** How often it looks again while it waits (one COUNT of the tenant's queued jobs each time). */
  readonly admissionPollMs: number;
}

export interface BatchDeps {
  readonly batches: BatchStore;
  readonly lineJobs: LineJobStore;
  readonly files: FileStore;
  readonly sender: BulkSender;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly settings: BatchSettings;
  /** The tenant's limits as they apply to batch lines (shared/batches/admission.ts). */
  readonly admission: BatchAdmission;
  /** Whether the router serves a model alias: a line naming another goes to the error file. */
  readonly knownModel: (model: string) => boolean;
  /** The existing job cancel (shared/pipeline/cancel.ts); a job already finished is left as it is. */
  readonly cancelJob: (tenantId: string, jobId: string) => Promise<void>;
  /** Delivers the batch's `batch.*` event to the tenant's subscribed webhook endpoints. */
  readonly emitEvent: (batch: BatchDocument) => Promise<void>;
}
