/**
 * Admission of one submission for a tenant: the tenant gate (limits, model allow-list, budget) and the
 * tenant's retention, in one call shared by the HTTP routes and the intake queue.
 */
import { ValidationError } from '../shared/errors/index.js';
import { retentionTtlSeconds } from '../shared/tenancy/tenant.js';
import type { AppServices } from './app-services.js';

export interface Admission {
  /** Set when the tenant's budget policy holds the job until later. */
  readonly notBeforeMs?: number;
  /** The tenant's retention, applied as the job's TTL once it is finished. */
  readonly retentionSeconds: number;
}

/** Throws the gate's 403/400/413/429 platform errors, and 400 for a model alias nobody serves. */
export async function admitSubmission(
  services: AppServices,
  tenantId: string,
  body: unknown,
  bytes: number,
): Promise<Admission> {
  refuseUnknownModel(services, body);
  const { gate } = services.security;
  const decision = await gate.admit(tenantId, body, bytes);
  // Cached per instance by the gate, so this is not another read.
  const tenant = await gate.tenant(tenantId);
  return {
    retentionSeconds: retentionTtlSeconds(tenant),
    ...(decision.kind === 'hold' ? { notBeforeMs: decision.untilMs } : {}),
  };
}

/** A job for an alias the router does not serve could only fail later; say so now, naming the field. */
function refuseUnknownModel(services: AppServices, body: unknown): void {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  if (typeof model !== 'string') return; // the schema check names a missing or mistyped model
  const aliases = services.modelAliases();
  if (!aliases.includes(model)) {
    throw new ValidationError(`Unknown model "${model}"; this platform serves: ${aliases.join(', ')}.`, [
      { field: 'model', message: 'not a model alias this platform serves' },
    ]);
  }
}
