/**
 * The capacity router's ports: where parked lines and provider groups are kept (Cosmos DB in
 * shared/cosmos/capacity-store.ts), and the Global Batch protocol of a provider (Azure OpenAI through the
 * `openai` SDK in shared/capacity/azure-global-batch.ts, the model simulator locally).
 */
import type { ParkedLine, ProviderGroup } from './documents.js';

export interface CapacityStore {
  /** Creates the line; `exists` when a delivery of this attempt parked it already. */
  park(line: ParkedLine): Promise<'parked' | 'exists'>;
  /** Pending lines of a deployment, oldest first. */
  pending(deployment: string, limit: number): Promise<ParkedLine[]>;
  /** Lines of one group. */
  linesOf(deployment: string, groupId: string): Promise<ParkedLine[]>;
  /** Lines of one group whose job was not cancelled (a count: the lines are not read). */
  openLines(deployment: string, groupId: string): Promise<number>;
  /** Marks the lines parked for a job as cancelled (`cancelledAt`); how many there were. */
  cancelLinesOf(jobId: string, at: number): Promise<number>;
  line(deployment: string, id: string): Promise<ParkedLine | undefined>;
  /** Writes lines as they now are (assigned to a group, or pending again). */
  saveLines(lines: readonly ParkedLine[]): Promise<void>;
  removeLine(deployment: string, id: string): Promise<void>;
  groups(deployment: string): Promise<ProviderGroup[]>;
  saveGroup(group: ProviderGroup): Promise<void>;
  removeGroup(deployment: string, id: string): Promise<void>;
}

export type ProviderBatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export interface ProviderBatch {
  readonly id: string;
  readonly status: ProviderBatchStatus;
  readonly outputFileId: string | null;
  readonly errorFileId: string | null;
  readonly errors: ReadonlyArray<{ readonly code?: string; readonly message?: string }>;
}

/** One Global Batch deployment's Files and Batches APIs. */
export interface GlobalBatchProvider {
  /**
   * Uploads the JSONL file (purpose `batch`, named by the group) and creates a `24h` batch on it whose
   * `metadata` names the group. With `resume` (a group found `forming`: an earlier submit may have
   * reached the provider before a crash), what that submit made since `resume.since` is adopted instead
   * (`adopted`): its batch, or its uploaded file with a batch created on it.
   */
  submit(
    jsonl: string,
    groupId: string,
    resume?: { readonly since: number },
  ): Promise<{ fileId: string; batchId: string; adopted: boolean }>;
  retrieve(batchId: string): Promise<ProviderBatch>;
  cancel(batchId: string): Promise<void>;
  /** The lines of an output or error file. */
  lines(fileId: string): AsyncIterable<string>;
  /** Deletes the files a finished batch leaves (input, output, error): the provider keeps them otherwise. */
  deleteFile(fileId: string): Promise<void>;
}
