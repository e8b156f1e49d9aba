/** In-memory ports for the batch use cases: they record each call so tests can count round trips. */
import type { BatchDocument, StoredBatch } from '../../../shared/batches/batch.js';
import type { BatchDeps, BatchSettings } from '../../../shared/batches/deps.js';
import { createBatch } from '../../../shared/batches/create.js';
import type { BatchAdmission, BatchTenant } from '../../../shared/batches/admission.js';
import type {
  BatchPage,
  BatchStore,
  BulkCreateOutcome,
  BulkSender,
  LineJobStore,
} from '../../../shared/batches/ports.js';
import type { JobDocument, JobStatus } from '../../../shared/jobs/job.js';
import type { OutboundMessage } from '../../../shared/messaging/publisher.js';
import { MemoryFileStore } from '../../fakes/memory-file-store.js';
import { createMemoryLogger } from '../../fakes/memory-logger.js';

export class MemoryBatchStore implements BatchStore {
  readonly items = new Map<string, StoredBatch>();
  private version = 0;

  create(batch: BatchDocument): Promise<{ created: boolean; stored: StoredBatch }> {
    const existing = this.items.get(batch.id);
    if (existing) return Promise.resolve({ created: false, stored: existing });
    const stored = { batch, etag: String((this.version += 1)) };
    this.items.set(batch.id, stored);
    return Promise.resolve({ created: true, stored });
  }

  get(tenantId: string, id: string): Promise<StoredBatch | undefined> {
    const stored = this.items.get(id);
    return Promise.resolve(stored?.batch.tenantId === tenantId ? stored : undefined);
  }

  replace(batch: BatchDocument, etag: string): Promise<StoredBatch | 'stale'> {
    if (this.items.get(batch.id)?.etag !== etag) return Promise.resolve('stale');
    const stored = { batch, etag: String((this.version += 1)) };
    this.items.set(batch.id, stored);
    return Promise.resolve(stored);
  }

  list(tenantId: string, query: { limit: number; after?: BatchDocument }): Promise<BatchPage> {
    const all = [...this.items.values()]
      .map((each) => each.batch)
      .filter((batch) => batch.tenantId === tenantId)
      .reverse();
    const start = query.after ? all.findIndex((batch) => batch.id === query.after?.id) + 1 : 0;
    return Promise.resolve({
      batches: all.slice(start, start + query.limit),
      hasMore: all.length > start + query.limit,
    });
  }

  listOpen(limit: number): Promise<Array<{ tenantId: string; id: string }>> {
    return Promise.resolve(
      [...this.items.values()]
        .filter(({ batch }) => !['failed', 'completed', 'expired', 'cancelled'].includes(batch.status))
        .slice(0, limit)
        .map(({ batch }) => ({ tenantId: batch.tenantId, id: batch.id })),
    );
  }
}

export class MemoryLineJobs implements LineJobStore {
  readonly jobs = new Map<string, JobDocument>();
  /** Each bulk create: how many jobs it carried. */
  readonly bulkCalls: number[] = [];

  createMany(jobs: readonly JobDocument[]): Promise<BulkCreateOutcome[]> {
    this.bulkCalls.push(jobs.length);
    return Promise.resolve(
      jobs.map((job) => {
        if (this.jobs.has(job.id)) return 'exists';
        this.jobs.set(job.id, job);
        return 'created';
      }),
    );
  }

  count(tenantId: string, batchId: string, status: JobStatus): Promise<number> {
    return Promise.resolve(this.of(tenantId, batchId).filter((job) => job.status === status).length);
  }

  async *scan(tenantId: string, batchId: string, statuses: readonly JobStatus[]): AsyncIterable<JobDocument> {
    for (const job of this.of(tenantId, batchId))
      if (statuses.includes(job.status)) yield await Promise.resolve(job);
  }

  /** What the pipeline would do: the job ends with `status`. */
  finish(id: string, status: JobStatus, fields: Partial<JobDocument> = {}): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    this.jobs.set(id, { ...job, status, completedAt: new Date().toISOString(), ...fields });
  }

  private of(tenantId: string, batchId: string): JobDocument[] {
    return [...this.jobs.values()].filter((job) => job.tenantId === tenantId && job.batch?.id === batchId);
  }
}

export class RecordingSender implements BulkSender {
  /** Each sendAll: the messages it carried. */
  readonly calls: OutboundMessage[][] = [];
  sendAll(messages: readonly OutboundMessage[]): Promise<void> {
    this.calls.push([...messages]);
    return Promise.resolve();
  }
}

/**
 * The tenant as batches see it, in memory: its limits, and jobs in flight = its queued line jobs plus
 * `otherInFlight` (jobs it submitted on its own). Every question is recorded.
 */
export class MemoryAdmission implements BatchAdmission {
  active = true;
  maxInFlight = 1_000;
  otherInFlight = 0;
  spent = false;
  allowed: readonly string[] = ['gpt-4o-mini'];
  maxRequestBytes = 1_000_000;
  maxMessages = 256;
  readonly inFlightReads: number[] = [];

  constructor(private readonly jobs: MemoryLineJobs) {}

  tenant(tenantId: string): Promise<BatchTenant | undefined> {
    if (tenantId === 'gone') return Promise.resolve(undefined);
    return Promise.resolve({
      active: this.active,
      limits: {
        allowsModel: (model) => this.allowed.includes(model),
        maxRequestBytes: this.maxRequestBytes,
        maxMessages: this.maxMessages,
      },
      maxInFlight: this.maxInFlight,
      retentionSeconds: 7 * 86_400,
      scheduling: () => ({ priority: 'background', weight: 3 }),
    });
  }

  inFlight(tenantId: string): Promise<number> {
    const queued = [...this.jobs.jobs.values()].filter(
      (job) => job.tenantId === tenantId && job.status === 'queued',
    ).length;
    this.inFlightReads.push(queued + this.otherInFlight);
    return Promise.resolve(queued + this.otherInFlight);
  }

  budgetSpent(): Promise<boolean> {
    return Promise.resolve(this.spent);
  }
}

export const SETTINGS: BatchSettings = {
  minWindowSeconds: 1,
  maxWindowSeconds: 86_400,
  maxLines: 100,
  maxLineBytes: 10_000,
  chunkLines: 2,
  chunkBytes: 1_000_000,
  deadlineMs: 3_600_000,
  duplicateWindowMs: 600_000,
  retentionSeconds: 86_400,
  admissionWaitMs: 3_000,
  admissionPollMs: 1_000,
};

export interface TestDeps extends BatchDeps {
  readonly batches: MemoryBatchStore;
  readonly lineJobs: MemoryLineJobs;
  readonly files: MemoryFileStore;
  readonly sender: RecordingSender;
  readonly now: { value: number };
  readonly cancelled: string[];
  readonly events: BatchDocument[];
  readonly admission: MemoryAdmission;
  /** Each sleep the fan-out took while it waited for room (the clock moves on by it). */
  readonly slept: number[];
}

export function batchDeps(settings: Partial<BatchSettings> = {}): TestDeps {
  const now = { value: Date.parse('2026-01-01T00:00:00Z') };
  const lineJobs = new MemoryLineJobs();
  const cancelled: string[] = [];
  const events: BatchDocument[] = [];
  const slept: number[] = [];
  return {
    admission: new MemoryAdmission(lineJobs),
    slept,
    sleep(ms) {
      slept.push(ms);
      now.value += ms;
      return Promise.resolve();
    },
    batches: new MemoryBatchStore(),
    lineJobs,
    files: new MemoryFileStore(),
    sender: new RecordingSender(),
    logger: createMemoryLogger(),
    clock: () => now.value,
    now,
    settings: { ...SETTINGS, ...settings },
    knownModel: (model) => model === 'gpt-4o-mini',
    cancelJob(_tenantId, jobId) {
      cancelled.push(jobId);
      if (lineJobs.jobs.get(jobId)?.status === 'queued') lineJobs.finish(jobId, 'cancelled');
      return Promise.resolve();
    },
    cancelled,
    emitEvent(batch) {
      events.push(batch);
      return Promise.resolve();
    },
    events,
  };
}

export const line = (customId: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Say ${customId}` }] },
    ...extra,
  });

/** Stores `lines` as the tenant's batch file (in chunks that split lines, as a download does). */
export async function storeInput(deps: TestDeps, tenantId: string, lines: readonly string[], raw?: string) {
  const content = Buffer.from(raw ?? lines.join('\n') + '\n');
  const id = `file-${'1'.repeat(32)}`;
  return deps.files.create(
    { id, tenantId, purpose: 'batch', filename: 'in.jsonl', createdAt: 0 },
    (async function* () {
      for (let at = 0; at < content.length; at += 7)
        yield await Promise.resolve(content.subarray(at, at + 7));
    })(),
    () => Promise.resolve({ bytes: content.length, lines: lines.length }),
  );
}

/** Stores `lines` as the tenant's input file and creates a batch on it (status `validating`). */
export async function startBatch(
  deps: TestDeps,
  lines: readonly string[],
  window = '24h',
  tenantId = 't1',
): Promise<BatchDocument> {
  const file = await storeInput(deps, tenantId, lines);
  const { batch } = await createBatch(deps, {
    tenantId,
    body: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: window },
    traceId: 'a'.repeat(32),
  });
  return batch;
}
