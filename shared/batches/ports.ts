/**
 * The ports batches need: the batch documents, the line jobs in bulk, batched sends. Real adapters are
 * in shared/cosmos/batch-*.ts and shared/batches/servicebus-bulk-sender.ts; unit tests pass fakes.
 */
import type { JobDocument, JobStatus } from '../jobs/job.js';
import type { OutboundMessage } from '../messaging/publisher.js';
import type { BatchDocument, StoredBatch } from './batch.js';

export interface BatchPage {
  readonly batches: readonly BatchDocument[];
  readonly hasMore: boolean;
}

export interface BatchStore {
  /** Creates the batch, or returns the one already stored under its id (idempotent create). */
  create(batch: BatchDocument): Promise<{ readonly created: boolean; readonly stored: StoredBatch }>;
  get(tenantId: string, id: string): Promise<StoredBatch | undefined>;
  /** Replaces only if the stored ETag still equals `etag`; `stale` means someone else wrote first. */
  replace(batch: BatchDocument, etag: string): Promise<StoredBatch | 'stale'>;
  /** Newest first; `after` is the last id of the previous page (OpenAI's cursor). */
  list(
    tenantId: string,
    query: { readonly limit: number; readonly after?: BatchDocument },
  ): Promise<BatchPage>;
  /** Up to `limit` batches of any tenant not yet finished, oldest first: the sweep's one cross-partition query. */
  listOpen(limit: number): Promise<Array<{ readonly tenantId: string; readonly id: string }>>;
}

export type BulkCreateOutcome = 'created' | 'exists';

export interface LineJobStore {
  /**
   * Creates the jobs with bulk requests (grouped per partition by the store, not one round trip each).
   * One outcome per job, in order; a job that already exists is left as it is.
   */
  createMany(jobs: readonly JobDocument[]): Promise<BulkCreateOutcome[]>;
  /** How many of the batch's jobs are in `status` (an index-served COUNT in the tenant's partition). */
  count(tenantId: string, batchId: string, status: JobStatus): Promise<number>;
  /** The batch's jobs in `statuses`, page by page: never all in memory. */
  scan(tenantId: string, batchId: string, statuses: readonly JobStatus[]): AsyncIterable<JobDocument>;
}

/** Sends many messages in as few requests as the queue's batch size allows. */
export interface BulkSender {
  sendAll(messages: readonly OutboundMessage[]): Promise<void>;
}
