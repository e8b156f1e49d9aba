/** In-memory UsageRollupStore: rollups by tenant and day, finished jobs supplied by the test. */
import type { DailyUsage, FinishedJob, UsageRollupStore } from '../../shared/tenancy/usage-rollup.js';

export class MemoryUsageRollups implements UsageRollupStore {
  readonly rollups = new Map<string, DailyUsage>();
  readonly finished: Array<FinishedJob & { tenantId: string; completedAt: string }> = [];

  get(tenantId: string, day: string): Promise<DailyUsage | undefined> {
    return Promise.resolve(this.rollups.get(`${tenantId}/${day}`));
  }

  create(rollup: DailyUsage): Promise<void> {
    const key = `${rollup.tenantId}/${rollup.day}`;
    if (!this.rollups.has(key)) this.rollups.set(key, rollup);
    return Promise.resolve();
  }

  finishedBetween(tenantId: string, since: Date, until: Date): Promise<FinishedJob[]> {
    return Promise.resolve(
      this.finished.filter(
        (j) =>
          j.tenantId === tenantId &&
          j.completedAt >= since.toISOString() &&
          j.completedAt < until.toISOString(),
      ),
    );
  }
}
