/**
 * The job document (one per job in the `jobs` container, partition key /tenantId) and its state machine.
 *
 * To keep the happy path at two Cosmos writes, only the terminal transition is written after creation:
 * a job is `queued` from acceptance until `persist` (or `cancel`) writes its terminal state.
 */
import type { ChatRequest } from './schema.js';

export const JOB_STATUSES = ['queued', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type TerminalStatus = Exclude<JobStatus, 'queued'>;

export function isTerminal(status: JobStatus): status is TerminalStatus {
  return status !== 'queued';
}

/** Transitions allowed by the state machine: queued -> any terminal state, and nothing after. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return from === 'queued' && isTerminal(to);
}

export interface JobUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
}

export interface JobResult {
  readonly content: string | null;
  /** Present when the job asked for JSON output: the parsed and schema-checked value. */
  readonly parsed?: unknown;
  readonly refusal: string | null;
  readonly finishReason: string;
  readonly model: string;
  readonly deployment: string;
}

export interface JobError {
  /** Machine-readable reason: `validation_failed`, `content_filter`, `attempts_exhausted`, ... */
  readonly code: string;
  /** What a person can act on. */
  readonly message: string;
}

/** Stage timestamps (ms since epoch) carried along the messages and written once at the end. */
export interface JobTimings {
  readonly acceptedAt: number;
  readonly invokeStartedAt?: number;
  readonly modelCompletedAt?: number;
  readonly postprocessedAt?: number;
  readonly persistedAt?: number;
}

export interface JobDocument {
  readonly id: string;
  readonly tenantId: string;
  readonly status: JobStatus;
  readonly idempotencyKey: string;
  /** SHA-256 of the canonical submission: a repeat with a different body is a 409. */
  readonly requestHash: string;
  readonly request: ChatRequest;
  readonly metadata: Readonly<Record<string, string>>;
  readonly webhookEndpointId?: string;
  readonly source: 'http' | 'queue';
  readonly traceId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt?: string;
  readonly attempts?: number;
  readonly result?: JobResult;
  readonly usage?: JobUsage;
  readonly error?: JobError;
  readonly timings?: JobTimings;
  /** The tenant's retention at acceptance; becomes `ttl` with the terminal state. */
  readonly retentionSeconds?: number;
  /** Cosmos TTL in seconds, set with the terminal state (retention). */
  readonly ttl?: number;
}

/** A stored job plus the ETag that guards its next transition. */
export interface StoredJob {
  readonly job: JobDocument;
  readonly etag: string;
}

/** Seconds a finished job is kept: the tenant's retention when it was accepted, else the platform default. */
export function retentionOf(job: JobDocument, fallbackSeconds: number): number {
  return job.retentionSeconds ?? fallbackSeconds;
}
