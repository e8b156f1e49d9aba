/**
 * One watcher per host for clients waiting on jobs (the long poll and the event stream of
 * `GET /v1/jobs/{id}`): it learns that a job ended without a Cosmos DB request per waiting client.
 *
 * - A job that ends on this host is reported by the store that wrote its terminal state
 *   (watched-job-store.ts): no request at all.
 * - A job that ends on another instance is found by one shared poll: every `intervalMs`, while anyone
 *   waits, one query asks for the waited-on ids that are no longer queued, `batchSize` ids per query.
 *   Its cost depends on how many jobs are waited on, in steps of `batchSize`, not on how many clients
 *   wait or how often they ask (docs/api.md has the figures).
 *
 * A job's document records no intermediate stage (two writes per job, shared/jobs/job.ts), so the one
 * change there is to learn of is the terminal one.
 */
import type { JobDocument } from '../jobs/job.js';
import { isTerminal } from '../jobs/job.js';
import type { Logger } from '../telemetry/logger.js';
import { errorFields } from '../telemetry/logger.js';

export interface JobKey {
  readonly tenantId: string;
  readonly id: string;
}

/** The shared poll's query: those of `keys` whose job is no longer queued (absent ones are left out). */
export interface FinishedJobsReader {
  finished(keys: readonly JobKey[]): Promise<readonly JobDocument[]>;
}

export interface JobWatcherOptions {
  /** Time between two shared polls while anyone waits. */
  readonly intervalMs: number;
  /** Ids per query; more waited-on jobs than this cost one more query per interval each. */
  readonly batchSize?: number;
  /**
   * Clients of one tenant this host holds waiting at once. Each costs memory and an id in the shared
   * poll: past this, a further wait ends at once (`undefined`: the long poll answers the job as read,
   * the event stream closes and the client reconnects later), so one tenant cannot grow the poll for all.
   */
  readonly maxWaitingPerTenant?: number;
  readonly logger?: Logger;
}

export interface WaitOptions {
  /** Stops waiting (the waiter resolves `undefined`): a client that went away, a bound that passed. */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

type Waiter = (job: JobDocument | undefined) => void;

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_MAX_WAITING_PER_TENANT = 1_000;

export class JobWatcher {
  private readonly waiters = new Map<string, { readonly key: JobKey; readonly waiting: Set<Waiter> }>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private readonly batchSize: number;
  private readonly waitingPerTenant = new Map<string, number>();

  constructor(
    private readonly reader: FinishedJobsReader,
    private readonly options: JobWatcherOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  /** Jobs waited on now (each costs one id in the shared poll, whatever its number of clients). */
  get watchedJobs(): number {
    return this.waiters.size;
  }

  /** Clients waiting now. */
  get waitingClients(): number {
    let count = 0;
    for (const entry of this.waiters.values()) count += entry.waiting.size;
    return count;
  }

  /**
   * Resolves with the job as written once it has ended, or `undefined` when the signal aborts or the
   * timeout passes. Register before reading the job, so an end between the read and the wait is not
   * missed.
   */
  waitForEnd(key: JobKey, options: WaitOptions = {}): Promise<JobDocument | undefined> {
    if (this.closed || options.signal?.aborted) return Promise.resolve(undefined);
    const tenantWaiting = this.waitingPerTenant.get(key.tenantId) ?? 0;
    if (tenantWaiting >= (this.options.maxWaitingPerTenant ?? DEFAULT_MAX_WAITING_PER_TENANT)) {
      this.options.logger?.warn('job_watch.tenant_waiters_full', { tenantId: key.tenantId });
      return Promise.resolve(undefined);
    }
    this.waitingPerTenant.set(key.tenantId, tenantWaiting + 1);
    return new Promise((resolve) => {
      const id = keyOf(key);
      const entry = this.waiters.get(id) ?? { key, waiting: new Set<Waiter>() };
      this.waiters.set(id, entry);
      let timeout: NodeJS.Timeout | undefined;
      const done: Waiter = (job) => {
        clearTimeout(timeout);
        options.signal?.removeEventListener('abort', abort);
        if (!entry.waiting.delete(done)) return;
        if (entry.waiting.size === 0 && this.waiters.get(id) === entry) this.waiters.delete(id);
        const left = (this.waitingPerTenant.get(key.tenantId) ?? 1) - 1;
        if (left > 0) this.waitingPerTenant.set(key.tenantId, left);
        else this.waitingPerTenant.delete(key.tenantId);
        resolve(job);
      };
      const abort = () => done(undefined);
      entry.waiting.add(done);
      options.signal?.addEventListener('abort', abort, { once: true });
      if (options.timeoutMs !== undefined) timeout = setTimeout(abort, options.timeoutMs);
      this.schedule();
    });
  }

  /** A terminal state written on this host: its waiters are answered at once, with no read. */
  notify(job: JobDocument): void {
    if (!isTerminal(job.status)) return;
    const entry = this.waiters.get(keyOf(job));
    if (!entry) return;
    for (const waiter of [...entry.waiting]) waiter(job);
  }

  /** Ends every wait (`undefined`) and stops polling: the host is closing. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of [...this.waiters.values()])
      for (const waiter of [...entry.waiting]) waiter(undefined);
  }

  private schedule(): void {
    if (this.timer || this.polling || this.closed || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, this.options.intervalMs);
    // A waiting client holds its own request open; the poll alone must not keep a process alive.
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const keys = [...this.waiters.values()].map((entry) => entry.key);
      for (let start = 0; start < keys.length; start += this.batchSize) {
        const ended = await this.reader.finished(keys.slice(start, start + this.batchSize));
        for (const job of ended) this.notify(job);
      }
    } catch (error) {
      // The waiters stay: the next interval asks again, and each wait has its own bound.
      this.options.logger?.warn('job_watch.poll_failed', errorFields(error));
    } finally {
      this.polling = false;
      this.schedule();
    }
  }
}

function keyOf(key: JobKey): string {
  return `${key.tenantId}\u0000${key.id}`;
}
