/**
 * Kept completions (shared/pipeline/completion-records.ts) in the `payloads` container: partition key
 * /id, no indexing, TTL on. One create per completion (a batch of one, so the document is not sent back)
 * and one point read, only when an invoke message is delivered again.
 */
import type { Container } from '@azure/cosmos';
import type { CompletionRecord, CompletionRecords } from '../pipeline/completion-records.js';
import { createWithoutContent, statusCodeOf } from './items.js';

interface CompletionDocument extends CompletionRecord {
  readonly id: string;
  readonly ttl: number;
}

/** `<job>:completion:<attempt>`: one record per attempt, so a second keep of the same attempt is a 409. */
export function completionRecordId(jobId: string, attempt: number): string {
  return `${jobId}:completion:${attempt}`;
}

export class CosmosCompletionRecords implements CompletionRecords {
  constructor(private readonly container: Container) {}

  async keep(record: CompletionRecord, ttlSeconds: number): Promise<'kept' | 'exists'> {
    const id = completionRecordId(record.jobId, record.attempt);
    const document: CompletionDocument = { id, ...record, ttl: ttlSeconds };
    const { statusCode } = await createWithoutContent(this.container, document, id);
    if (statusCode === 409) return 'exists';
    if (statusCode >= 300) {
      throw new Error(`completion record ${id} was not stored (Cosmos DB status ${statusCode})`);
    }
    return 'kept';
  }

  async find(jobId: string, attempt: number): Promise<CompletionRecord | undefined> {
    const id = completionRecordId(jobId, attempt);
    try {
      const { resource } = await this.container.item(id, id).read<CompletionDocument>();
      if (!resource) return undefined;
      return {
        jobId: resource.jobId,
        attempt: resource.attempt,
        completion: resource.completion,
        invokeStartedAt: resource.invokeStartedAt,
        modelCompletedAt: resource.modelCompletedAt,
      };
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }
}
