/**
 * Admission of one submission for a tenant: the tenant gate (limits, model allow-list, budget) and the
 * tenant's retention, in one call shared by the HTTP routes and the intake queue.
 */
import { retentionTtlSeconds } from '../shared/tenants/tenant.js';
import { securityOf } from './http/security.js';
import type { AppServices } from './services.js';

export interface Admission {
  /** Set when the tenant's budget policy holds the job until later. */
  readonly notBeforeMs?: number;
  /** The tenant's retention, applied as the job's TTL once it is finished. */
  readonly retentionSeconds: number;
}

/** Throws the gate's 403/400/413/429 platform errors. */
export async function admitSubmission(
  services: AppServices,
  tenantId: string,
  body: unknown,
  bytes: number,
): Promise<Admission> {
  const { gate } = securityOf(services);
  const decision = await gate.admit(tenantId, body, bytes);
  // Cached per instance by the gate, so this is not another read.
  const tenant = await gate.tenant(tenantId);
  return {
    retentionSeconds: retentionTtlSeconds(tenant),
    ...(decision.kind === 'hold' ? { notBeforeMs: decision.untilMs } : {}),
  };
}
