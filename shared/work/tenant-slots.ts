/**
 * How many heavy tasks each tenant has running. A tenant at its limit is declined rather than queued, so
 * one tenant's burst of large prompts can hold at most `perTenant` of the pool's threads and queue.
 */
export class TenantSlots {
  private readonly running = new Map<string, number>();

  constructor(private readonly perTenant: number) {}

  tryAcquire(tenantId: string): boolean {
    const count = this.running.get(tenantId) ?? 0;
    if (count >= this.perTenant) return false;
    this.running.set(tenantId, count + 1);
    return true;
  }

  release(tenantId: string): void {
    const count = this.running.get(tenantId) ?? 0;
    if (count <= 1) this.running.delete(tenantId);
    else this.running.set(tenantId, count - 1);
  }

  inUse(tenantId: string): number {
    return this.running.get(tenantId) ?? 0;
  }
}
