/**
 * How many heavy tasks each tenant has queued or running. A tenant at its limit is declined (the HTTP
 * front door answers 429) or waits behind its own earlier tasks (queue-triggered work, which has no one
 * to answer), so one tenant's burst can hold at most `perTenant` of the pool's threads and queue.
 */
export class TenantSlots {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly perTenant: number) {}

  tryAcquire(tenantId: string): boolean {
    const count = this.running.get(tenantId) ?? 0;
    if (count >= this.perTenant) return false;
    this.running.set(tenantId, count + 1);
    return true;
  }

  /**
   * Resolves true once the tenant has a slot (slots go to a tenant's waiters in arrival order), or false
   * when `timeoutMs` passes first.
   */
  acquire(tenantId: string, timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.tryAcquire(tenantId)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const queue = this.waiting.get(tenantId) ?? [];
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          if (queue.length === 0 && this.waiting.get(tenantId) === queue) this.waiting.delete(tenantId);
          resolve(false);
        }, timeoutMs);
      }
      queue.push(waiter);
      this.waiting.set(tenantId, queue);
    });
  }

  release(tenantId: string): void {
    const queue = this.waiting.get(tenantId);
    const next = queue?.shift();
    if (next) {
      // The slot passes straight to the next waiter: the count stays as it is.
      if (queue?.length === 0) this.waiting.delete(tenantId);
      next();
      return;
    }
    const count = this.running.get(tenantId) ?? 0;
    if (count <= 1) this.running.delete(tenantId);
    else this.running.set(tenantId, count - 1);
  }

  inUse(tenantId: string): number {
    return this.running.get(tenantId) ?? 0;
  }

  waiters(tenantId: string): number {
    return this.waiting.get(tenantId)?.length ?? 0;
  }
}
