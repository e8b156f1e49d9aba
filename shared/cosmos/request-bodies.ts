/**
 * Large job requests kept outside the job document. A Cosmos DB item stops at 2 MB, and a tenant's
 * request may be up to 4 MB (a batch line up to 8 MB): above the threshold the job stores write the
 * request's body to the payload store (Blob Storage, the `claim-checks` container) as `<job>:request`
 * and the document holds `{ model, stored: { id, bytes } }` (StoredRequestSchema). The request hash
 * stays in the document, so idempotency compares as before.
 *
 * The threshold is the claim-check threshold (CLAIM_CHECK_THRESHOLD_BYTES, 192 KB): a request that large
 * has its invoke message claim-checked anyway, so Blob Storage is already on its path; the document keeps
 * well over 1.5 MB for the result (a long completion, embeddings vectors); and a Cosmos DB write is
 * charged by the size of the document, which the terminal patch rewrites whole.
 *
 * The body is read only while the job may still run: a repeat of its submission re-sending the invoke
 * message (within the duplicate-detection window) and the stalled-job re-drive (before its deadline).
 * Once the job has ended nothing reads it: the API shows the model, not the request, and a repeat
 * compares hashes. So the claim checks' lifecycle rule (15 days, past the 14-day message time-to-live
 * that bounds how long a job can wait) covers it, and a tenant's retention of the job document does not
 * keep the body.
 */
import { Buffer } from 'node:buffer';
import type { JobRequest } from '../jobs/job-request.js';
import { isStoredRequest, type JobDocument } from '../jobs/job.js';
import type { PayloadStore } from '../messaging/claim-check.js';

export interface RequestBodies {
  readonly store: PayloadStore;
  /** A request whose JSON is over this many bytes is kept by reference. */
  readonly thresholdBytes: number;
}

export function requestBodyId(jobId: string): string {
  return `${jobId}:request`;
}

/**
 * The document to write: `job` itself, or with a large request replaced by its reference once the body
 * is stored (create-only: a retried write finds it there and writes nothing).
 */
export async function withRequestStored(
  job: JobDocument,
  bodies: RequestBodies | undefined,
): Promise<JobDocument> {
  if (!bodies || isStoredRequest(job.request)) return job;
  const bytes = Buffer.byteLength(JSON.stringify(job.request));
  if (bytes <= bodies.thresholdBytes) return job;
  const id = requestBodyId(job.id);
  await bodies.store.put(id, job.request);
  return { ...job, request: { model: job.request.model, stored: { id, bytes } } };
}

export async function requestOf(job: JobDocument, bodies: RequestBodies | undefined): Promise<JobRequest> {
  if (!isStoredRequest(job.request)) return job.request;
  if (!bodies)
    throw new Error(`job ${job.id}: its request is stored by reference and no store is configured`);
  // Written by withRequestStored from a request that passed the submit checks.
  return (await bodies.store.get(job.request.stored.id)) as JobRequest;
}
