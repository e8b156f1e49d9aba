/**
 * The submission gate: what the HTTP front door (and any other authenticated entry) calls before the
 * accept use case. It resolves the caller's tenant record (cached), refuses unknown or suspended
 * tenants, and applies admitSubmission: model allow-list, size, message count, rate, jobs in flight,
 * daily budget. A body that fails the job schema is passed through untouched, without spending a rate
 * token or a Cosmos query, so accept's schema gives the one canonical 400 and junk stays cheap.
 */
import { ForbiddenError } from '../errors/index.js';
import { embeddingInputs } from '../jobs/embeddings.js';
import { submitSchemaFor } from '../jobs/submission.js';
import { ADMIT, tenantDisabled, type Admission } from './admission-decision.js';
import { admitSubmission, type AdmissionDeps, type SubmissionShape } from './admission.js';
import type { Tenant } from './tenant.js';
import type { Clock } from '../time/clock.js';

export interface TenantReader {
  get(tenantId: string): Promise<Tenant | undefined>;
}

export interface SubmissionGate {
  /** Admit, hold (budget spent with the `hold` policy) or refuse, with the refusal's reason. */
  admit(tenantId: string, body: unknown, requestBytes: number): Promise<Admission>;
  /** The tenant record (cached), for callers that need retention or webhook settings too. */
  tenant(tenantId: string): Promise<Tenant>;
}

export function createSubmissionGate(
  deps: AdmissionDeps & { tenants: TenantReader; clock?: Clock },
): SubmissionGate {
  const clock = deps.clock ?? Date.now;
  // Same answer for "no record" and "suspended": nothing to learn about which tenants exist.
  const disabled = 'This tenant is not enabled on the platform.';
  const enabled = async (tenantId: string): Promise<Tenant | undefined> => {
    const record = await deps.tenants.get(tenantId);
    return record?.status === 'active' ? record : undefined;
  };
  return {
    async tenant(tenantId) {
      const record = await enabled(tenantId);
      if (!record) throw new ForbiddenError(disabled);
      return record;
    },
    async admit(tenantId, body, requestBytes) {
      const record = await enabled(tenantId);
      if (!record) return tenantDisabled(disabled);
      const shape = shapeOf(body);
      if (!shape) return ADMIT;
      return admitSubmission(record, { ...shape, requestBytes }, deps, clock());
    },
  };
}

function shapeOf(body: unknown): Omit<SubmissionShape, 'requestBytes'> | undefined {
  const parsed = submitSchemaFor(body).safeParse(body);
  if (!parsed.success) return undefined;
  const { model, priority } = parsed.data;
  // An embeddings job's inputs count as its messages.
  const count = 'messages' in parsed.data ? parsed.data.messages.length : embeddingInputs(parsed.data).length;
  return { model, messageCount: count, ...(priority ? { priority } : {}) };
}
