/**
 * The submission gate: what the HTTP front door (and any other authenticated entry) calls before the
 * accept use case. It resolves the caller's tenant record (cached), refuses unknown or suspended
 * tenants, and applies admitSubmission: model allow-list, size, message count, rate, jobs in flight,
 * daily budget. A body that fails the job schema is passed through untouched, without spending a rate
 * token or a Cosmos query, so accept's schema gives the one canonical 400 and junk stays cheap.
 */
import { ForbiddenError } from '../errors/index.js';
import { SubmitJobSchema } from '../jobs/submission.js';
import type { Tenant } from './tenant.js';
import { admitSubmission, type AdmissionDeps } from './admission.js';
import type { BudgetDecision } from './budget.js';

export interface TenantReader {
  get(tenantId: string): Promise<Tenant | undefined>;
}

export interface SubmissionGate {
  /** Throws 403/400/413/429 platform errors; resolves with admit or hold (budget spent, policy hold). */
  admit(tenantId: string, body: unknown, requestBytes: number): Promise<BudgetDecision>;
  /** The tenant record, for callers that need retention or webhook settings too. */
  tenant(tenantId: string): Promise<Tenant>;
}

export function createSubmissionGate(
  deps: AdmissionDeps & { tenants: TenantReader; now?: () => number },
): SubmissionGate {
  const now = deps.now ?? Date.now;
  const tenant = async (tenantId: string): Promise<Tenant> => {
    const record = await deps.tenants.get(tenantId);
    // Same answer for "no record" and "suspended": nothing to learn about which tenants exist.
    if (!record || record.status !== 'active') {
      throw new ForbiddenError('This tenant is not enabled on the platform.');
    }
    return record;
  };
  return {
    tenant,
    async admit(tenantId, body, requestBytes) {
      const record = await tenant(tenantId);
      const shape = shapeOf(body);
      if (!shape) return { kind: 'admit' };
      return admitSubmission(record, { ...shape, requestBytes }, deps, now());
    },
  };
}

function shapeOf(body: unknown): { model: string; messageCount: number } | undefined {
  const parsed = SubmitJobSchema.safeParse(body);
  return parsed.success ? { model: parsed.data.model, messageCount: parsed.data.messages.length } : undefined;
}
