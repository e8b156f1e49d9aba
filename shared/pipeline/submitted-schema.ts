/**
 * The submit check of a heavy tenant schema (one that schemaCost says could take up to ~700 ms): the
 * zod schema leaves it to this step, which runs it on the heavy-work pool through the SchemaWork port,
 * so the event loop that serves every tenant never compiles it. Ordinary schemas were checked inline.
 */
import { RateLimitedError, ValidationError } from '../errors/index.js';
import type { SubmitJob } from '../jobs/submission.js';
import { schemaCost } from '../schemas/check.js';
import { inlineSchemaWork } from '../schemas/schema-work.js';
import type { StageDeps } from './deps.js';

/** How soon a tenant whose share of the pool is busy may try again: about one heavy check. */
const BUSY_RETRY_MS = 1_000;

/** The tenant schemas of a submission, by field: the response format's and each tool's parameters. */
function tenantSchemas(submission: SubmitJob): Array<{ field: string; schema: Record<string, unknown> }> {
  const schemas: Array<{ field: string; schema: Record<string, unknown> }> = [];
  const format = submission.response_format;
  if (format?.type === 'json_schema') {
    schemas.push({ field: 'response_format/json_schema/schema', schema: format.json_schema.schema });
  }
  submission.tools?.forEach((tool, index) => {
    const parameters = tool.function.parameters;
    if (parameters) schemas.push({ field: `tools/${index}/function/parameters`, schema: parameters });
  });
  return schemas;
}

export async function requireHeavySchemaChecked(
  deps: StageDeps,
  tenantId: string,
  submission: SubmitJob,
  source: 'http' | 'queue',
): Promise<void> {
  // One at a time: each waits for the tenant's share of the pool, which is what bounds a tenant.
  for (const { field, schema } of tenantSchemas(submission)) {
    if (schemaCost(schema).heavy) await requireChecked(deps, tenantId, field, schema, source);
  }
}

async function requireChecked(
  deps: StageDeps,
  tenantId: string,
  field: string,
  schema: Record<string, unknown>,
  source: 'http' | 'queue',
): Promise<void> {
  // A queue submission has no caller to answer 429: it waits for the tenant's own earlier checks.
  const outcome = await (deps.schemas ?? inlineSchemaWork).issues(tenantId, schema, {
    wait: source === 'queue',
  });
  if (!outcome.ok) {
    if (outcome.declined === 'tenant_busy' || outcome.declined === 'pool_busy') {
      throw new RateLimitedError(
        'Other large JSON schemas of yours are being checked right now; retry in a second.',
        BUSY_RETRY_MS,
      );
    }
    const message = 'could not be checked within its time budget; make it smaller or simpler';
    throw new ValidationError(`The job request is invalid: ${field}: ${message}`, [
      { field: field, message },
    ]);
  }
  const issues = outcome.value.map((issue) => ({
    field: [field, ...issue.path.map(String)].join('/'),
    message: issue.message,
  }));
  const first = issues[0];
  if (first)
    throw new ValidationError(`The job request is invalid: ${first.field}: ${first.message}`, issues);
}
