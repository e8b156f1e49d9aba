/**
 * A worker-thread pool (piscina) for work on tenant input that is still too heavy for the event loop
 * after it was made linear: counting the tokens of a large prompt costs ~1-6 µs per character of dense
 * text, and checking a JSON schema at the limits ~700 ms, each holding HTTP and every other stage.
 *
 * The pool declines rather than lets one tenant fill it: when the tenant already has `perTenant` tasks
 * (unless the caller chose to wait for its own), when the queue is full, or when a task outlives its
 * time budget (its thread is then terminated and replaced). Callers have an answer for each: a byte
 * bound instead of a token count, a 429 at the front door, a failed job for a schema too slow to apply.
 * Threads start on first use and stop when idle, so a host that never sees a large prompt pays nothing.
 */
import { fileURLToPath } from 'node:url';
import type { Piscina as PiscinaPool } from 'piscina';
import { runningFromSources, sourceEntryFile } from '../threads/from-sources.js';
import type { HeavyResult, HeavyTask } from './tasks.js';
import { TenantSlots } from './tenant-slots.js';

export interface HeavyWorkOptions {
  /** Worker threads at most. */
  readonly threads: number;
  /** Tasks one tenant may have queued or running at once. */
  readonly perTenant: number;
  /** Tasks waiting for a thread at most, across tenants. */
  readonly maxQueue: number;
  /** A task still running after this is cancelled and its thread replaced. */
  readonly timeoutMs: number;
  /** A thread with nothing to do stops after this. */
  readonly idleTimeoutMs?: number;
}

export type Declined = 'tenant_busy' | 'pool_busy' | 'timed_out' | 'failed';

export type HeavyOutcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly declined: Declined };

export class HeavyWorkPool {
  private readonly slots: TenantSlots;
  private pool: Promise<PiscinaPool> | undefined;
  private closed = false;

  constructor(private readonly options: HeavyWorkOptions) {
    this.slots = new TenantSlots(options.perTenant);
  }

  /**
   * Runs `task` for `tenantId` on a worker thread. A tenant at its share is declined at once, or with
   * `waitMs` waits that long for its own earlier tasks (`wait`: as long as it takes, for queue-triggered
   * work that has no caller to answer 429). `timeoutMs` replaces the pool's time budget for this task.
   */
  async run<T extends HeavyTask>(
    tenantId: string,
    task: T,
    options: { readonly wait?: boolean; readonly waitMs?: number; readonly timeoutMs?: number } = {},
  ): Promise<HeavyOutcome<HeavyResult<T>>> {
    if (this.closed) return { ok: false, declined: 'pool_busy' };
    const waitMs = options.wait ? Number.POSITIVE_INFINITY : (options.waitMs ?? 0);
    const acquired =
      waitMs > 0 ? await this.slots.acquire(tenantId, waitMs) : this.slots.tryAcquire(tenantId);
    if (!acquired) return { ok: false, declined: 'tenant_busy' };
    try {
      if (this.closed) return { ok: false, declined: 'pool_busy' };
      const pool = await this.piscina();
      if (pool.queueSize >= this.options.maxQueue) return { ok: false, declined: 'pool_busy' };
      const value = (await pool.run(task, {
        signal: AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs),
      })) as HeavyResult<T>;
      return { ok: true, value };
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      return { ok: false, declined: name === 'AbortError' ? 'timed_out' : 'failed' };
    } finally {
      this.slots.release(tenantId);
    }
  }

  /** Tasks the tenant has queued or running now, and tasks of its waiting for a slot. */
  inUse(tenantId: string): number {
    return this.slots.inUse(tenantId);
  }

  waiting(tenantId: string): number {
    return this.slots.waiters(tenantId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool).destroy();
  }

  private piscina(): Promise<PiscinaPool> {
    this.pool ??= (async () => {
      // Loaded on first use: a host that never sees heavy input never loads piscina (cold start).
      const { Piscina } = await import('piscina');
      const filename = runningFromSources(import.meta.url)
        ? await sourceEntryFile(new URL('./tasks.ts', import.meta.url))
        : fileURLToPath(new URL('./tasks.js', import.meta.url));
      return new Piscina({
        filename,
        minThreads: 0,
        maxThreads: this.options.threads,
        maxQueue: this.options.maxQueue,
        idleTimeout: this.options.idleTimeoutMs ?? 30_000,
      });
    })();
    return this.pool;
  }
}
