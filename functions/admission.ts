/**
 * Admission of one submission for a tenant: the tenant gate (limits, model allow-list, budget) and the
 * tenant's retention, in one call shared by the HTTP routes and the intake queue. A refusal is returned,
 * not thrown: HTTP answers with its error, the queue decides per reason.
 */
import { notAllowed, type Refusal } from '../shared/tenancy/admission-decision.js';
import type { TenantJobScheduling } from '../shared/pipeline/accept.js';
import {
  modelTokensPerMinute,
  retentionTtlSeconds,
  schedulingOf,
  type Tenant,
} from '../shared/tenancy/tenant.js';
import type { AppServices } from './app-services.js';

export interface Admitted {
  readonly kind: 'admit';
  /** Set when the tenant's budget policy holds the job until later. */
  readonly notBeforeMs?: number;
  /** The tenant's retention, applied as the job's TTL once it is finished. */
  readonly retentionSeconds: number;
  /** The tenant's default priority, weight and token limit for the job's model. */
  readonly scheduling: TenantJobScheduling;
}

export async function admitSubmission(
  services: AppServices,
  tenantId: string,
  body: unknown,
  bytes: number,
): Promise<Admitted | Refusal> {
  const unknownModel = refuseUnknownModel(services, body);
  if (unknownModel) return unknownModel;
  const { gate } = services.security;
  const decision = await gate.admit(tenantId, body, bytes);
  if (decision.kind === 'refuse') return decision;
  // Cached per instance by the gate, so this is not another read.
  const tenant = await gate.tenant(tenantId);
  return {
    kind: 'admit',
    retentionSeconds: retentionTtlSeconds(tenant),
    scheduling: jobSchedulingOf(tenant, body),
    ...(decision.kind === 'hold' ? { notBeforeMs: decision.untilMs } : {}),
  };
}

/**
 * The job's fields from an admission, or the refusal's error for channels that answer with it (HTTP:
 * 403, 400, 413 or 429 with Retry-After).
 */
export function admittedOrThrow(decision: Admitted | Refusal): Omit<Admitted, 'kind'> {
  if (decision.kind === 'refuse') throw decision.error;
  const { kind: _kind, ...fields } = decision;
  return fields;
}

function jobSchedulingOf(tenant: Tenant, body: unknown): TenantJobScheduling {
  const { defaultPriority, weight } = schedulingOf(tenant);
  const tokensPerMinute = modelTokensPerMinute(tenant, modelOf(body) ?? '');
  return { defaultPriority, weight, ...(tokensPerMinute !== undefined ? { tokensPerMinute } : {}) };
}

function modelOf(body: unknown): string | undefined {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}

/** A job for an alias the router does not serve could only fail later; say so now, naming the field. */
function refuseUnknownModel(services: AppServices, body: unknown): Refusal | undefined {
  const model = modelOf(body);
  if (model === undefined) return undefined; // the schema check names a missing or mistyped model
  const aliases = services.modelAliases();
  if (aliases.includes(model)) return undefined;
  return notAllowed(`Unknown model "${model}"; this platform serves: ${aliases.join(', ')}.`, [
    { field: 'model', message: 'not a model alias this platform serves' },
  ]);
}
