/**
 * Where tenant schemas are checked and applied. Checking and compiling a schema at the limits costs up
 * to ~700 ms (docs/security.md), too long for the event loop every other tenant's requests share, so the
 * composition root gives the stages a pool-backed SchemaWork (shared/work/pooled-schema-work.ts) that
 * sends heavy schemas to a worker thread. A pool may decline (the tenant already has its share running,
 * the pool is full, the work ran out of time): the caller then answers 429 or fails the work with a
 * reason; it never does the heavy work itself.
 */
import type { SchemaIssue } from './check.js';
import { schemaIssues } from './check.js';
import { checkAgainstSchema, type SchemaCheck } from './output.js';

export type SchemaWorkOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly declined: 'tenant_busy' | 'pool_busy' | 'timed_out' | 'failed' };

export interface SchemaWork {
  /**
   * Problems with a tenant's schema, each at its path inside the schema; none means it may be used.
   * With `wait`, a tenant whose share of the pool is busy waits for it instead of being declined.
   */
  issues(
    tenantId: string,
    schema: Record<string, unknown>,
    options?: { readonly wait?: boolean },
  ): Promise<SchemaWorkOutcome<readonly SchemaIssue[]>>;
  /** The model output (parsed from `outputChars` characters) against the schema; waits for a share. */
  validate(
    tenantId: string,
    schema: Record<string, unknown>,
    value: unknown,
    outputChars: number,
  ): Promise<SchemaWorkOutcome<SchemaCheck>>;
}

/** Everything on the calling thread: for tests and tools that have no pool. */
export const inlineSchemaWork: SchemaWork = {
  issues: (_tenantId, schema) => Promise.resolve({ ok: true, value: schemaIssues(schema) }),
  validate: (_tenantId, schema, value, outputChars) =>
    Promise.resolve({ ok: true, value: checkAgainstSchema(schema, value, outputChars) }),
};
