/**
 * Batch lines under their tenant's limits. A line becomes an ordinary job of the tenant, so it must not be
 * a way around what a single submission is held to, nor a way to crowd out the tenant's own interactive
 * work or other tenants' work:
 * - **Per line, as a submission is checked** (at validation, fan-out and finalization alike): the model
 *   must be enabled for the tenant, the request within its `maxRequestBytes` and `maxMessages`. A line
 *   that is not goes to the error file with the reason; it never fails the batch.
 * - **Jobs in flight**: the fan-out makes lines jobs only while the tenant's jobs in flight (its queued
 *   jobs, interactive and batch lines alike) are under a share of its `maxJobsInFlight`
 *   (BATCH_IN_FLIGHT_SHARE, half by default). The rest of the limit stays free for its submissions, and
 *   a batch never puts more than that many of the tenant's messages ahead of other tenants' jobs in the
 *   invoke queue. Without room the fan-out waits a while, then leaves the rest to the next sweep.
 * - **Daily token budget**: once spent, no further line becomes a job until it resets (lines already
 *   running finish); lines the window then closes on end `batch_expired`.
 * - **A suspended tenant**: its fan-out waits; the batch can still be cancelled or expire.
 * - Submissions per minute are not spent per line: that limit guards the front door against floods of
 *   requests, and the batch create is one request; the in-flight share paces the lines instead.
 * - Lines run at `background` priority with the tenant's weight (shared/model/fairness/): at the model
 *   they yield to interactive and standard work.
 */
import type { InvokeScheduling } from '../messaging/stage-messages.js';

export interface LineLimits {
  allowsModel(model: string): boolean;
  readonly maxRequestBytes: number;
  readonly maxMessages: number;
}

export interface BatchTenant {
  readonly active: boolean;
  readonly limits: LineLimits;
  /** Jobs in flight the fan-out may bring the tenant up to: its share of maxJobsInFlight. */
  readonly maxInFlight: number;
  /** The tenant's retention, the TTL of a finished line job (as for its other jobs). */
  readonly retentionSeconds: number;
  /** What the model layer's fair scheduler needs of a line job for `model`. */
  scheduling(model: string): InvokeScheduling;
}

export interface BatchAdmission {
  /** The tenant as batches see it, suspended or not; undefined when there is no such tenant. */
  tenant(tenantId: string): Promise<BatchTenant | undefined>;
  /** The tenant's jobs in flight now (a COUNT of its queued jobs). */
  inFlight(tenantId: string): Promise<number>;
  /** Whether the tenant's daily token budget is spent. */
  budgetSpent(tenantId: string, nowMs: number): Promise<boolean>;
}

export type Room =
  | { readonly lines: number; readonly tenant: BatchTenant }
  | {
      readonly lines: 0;
      readonly reason: 'tenant_missing' | 'tenant_suspended' | 'budget_spent' | 'in_flight_limit';
    };

export interface RoomDeps {
  readonly admission: BatchAdmission;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * How many more lines the fan-out may make jobs now. Waits for jobs in flight to finish, polling every
 * `pollMs`, until `untilMs`; answers 0 lines with the reason when there is no room by then, or at once
 * when waiting cannot help within a sweep (suspended tenant, budget spent).
 */
export async function roomForLines(
  deps: RoomDeps,
  tenantId: string,
  untilMs: number,
  pollMs: number,
): Promise<Room> {
  for (;;) {
    const tenant = await deps.admission.tenant(tenantId);
    if (!tenant) return { lines: 0, reason: 'tenant_missing' };
    if (!tenant.active) return { lines: 0, reason: 'tenant_suspended' };
    if (await deps.admission.budgetSpent(tenantId, deps.clock())) return { lines: 0, reason: 'budget_spent' };
    const lines = tenant.maxInFlight - (await deps.admission.inFlight(tenantId));
    if (lines > 0) return { lines, tenant };
    if (deps.clock() + pollMs > untilMs) return { lines: 0, reason: 'in_flight_limit' };
    await deps.sleep(pollMs);
  }
}
