/**
 * The fleet's shared view of one deployment's quota: one document per deployment in which each host
 * instance keeps its own entry (its share, what it wants, and how much of the quota it may still be
 * using). Written with ETag conditions only, so every allocation decision is made on the latest state.
 */
import { z } from 'zod';

/** Quarter windows: a claim schedule has one entry per quarter of the window, then one for after it. */
export const CLAIM_STEPS = 4;

export const LeaseMemberSchema = z.object({
  /**
   * Bumped on every renewal. Readers judge liveness by how long the value has stayed the same on their
   * own clock, never by a timestamp written with the member's clock, so clock skew cannot expire a lease.
   */
  seq: z.number().int().nonnegative(),
  /**
   * How long readers may see the same `seq` before this member no longer counts as live: a few of its
   * renewal intervals, which grow with the fleet (fleet-share.ts), so each member states its own.
   */
  leaseMs: z.number().int().positive(),
  /** The fraction of the deployment's quota (tokens and requests) this instance may use now. */
  share: z.number().min(0).max(1),
  /** The fraction it asked for over the last window (admitted and paced calls), for the fair split. */
  demand: z.number().min(0).max(1),
  /**
   * Upper bounds of this instance's usage of the service's window, as a fraction of the quota: entry k
   * holds from k/CLAIM_STEPS of a window after the entry was written, the last one from a whole window
   * on. Usage already sent only leaves the window, so a reader that saw the entry later than it was
   * written reads an earlier, larger entry: always safe.
   */
  claims: z.array(z.number().min(0).max(1)).length(CLAIM_STEPS + 1),
});
export type LeaseMember = z.infer<typeof LeaseMemberSchema>;

export const QuotaLeaseDocumentSchema = z.object({
  id: z.string().min(1),
  type: z.literal('modelQuotaLease'),
  deployment: z.string().min(1),
  members: z.record(z.string().min(1).max(64), LeaseMemberSchema),
  /** Cosmos DB time to live (s): a deployment nobody has renewed for a day leaves no document behind. */
  ttl: z.number().int().positive(),
});
export type QuotaLeaseDocument = z.infer<typeof QuotaLeaseDocumentSchema>;

export const LEASE_DOCUMENT_TTL_SECONDS = 86_400;

export function leaseDocumentId(deployment: string): string {
  return `modelquota:${deployment}`;
}

export function emptyLeaseDocument(deployment: string): QuotaLeaseDocument {
  return {
    id: leaseDocumentId(deployment),
    type: 'modelQuotaLease',
    deployment,
    members: {},
    ttl: LEASE_DOCUMENT_TTL_SECONDS,
  };
}
