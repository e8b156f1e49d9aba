/**
 * In-memory CompletionRecords with the Cosmos adapter's semantics: the first keep for a job and attempt
 * wins, a later one answers `exists`; counts operations and can fail the next keep.
 */
import type { CompletionRecord, CompletionRecords } from '../../shared/pipeline/completion-records.js';

export class MemoryCompletionRecords implements CompletionRecords {
  readonly items = new Map<string, { readonly record: CompletionRecord; readonly ttlSeconds: number }>();
  readonly operations = { keeps: 0, finds: 0 };
  failNextKeep: Error | undefined;

  keep(record: CompletionRecord, ttlSeconds: number): Promise<'kept' | 'exists'> {
    this.operations.keeps += 1;
    if (this.failNextKeep) {
      const error = this.failNextKeep;
      this.failNextKeep = undefined;
      return Promise.reject(error);
    }
    const key = `${record.jobId}:${record.attempt}`;
    if (this.items.has(key)) return Promise.resolve('exists');
    this.items.set(key, { record: structuredClone(record), ttlSeconds });
    return Promise.resolve('kept');
  }

  find(jobId: string, attempt: number): Promise<CompletionRecord | undefined> {
    this.operations.finds += 1;
    const found = this.items.get(`${jobId}:${attempt}`);
    return Promise.resolve(found ? structuredClone(found.record) : undefined);
  }
}
