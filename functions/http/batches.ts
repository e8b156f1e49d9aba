/**
 * The Batches API, compatible with OpenAI's (the official `openai` SDK works against it with `baseURL`
 * pointed here): create a batch on an uploaded `batch` file, retrieve, list, cancel. Tenant-scoped like
 * the files routes; errors in OpenAI's shape beside our problem+json. The work itself (validation,
 * fan-out into jobs, finalization) is the batch sweep's (functions/timer/batch-sweep.ts).
 */
import { BatchIdSchema, toBatchObject } from '../../shared/batches/batch.js';
import { createBatch as create } from '../../shared/batches/create.js';
import * as reads from '../../shared/batches/reads.js';
import { ValidationError } from '../../shared/errors/index.js';
import { IdempotencyKeySchema } from '../../shared/jobs/submission.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import { BatchListQuerySchema } from './batches-docs.js';
import { json, pathParam, readJsonBody, tenantRoute, type AuthenticatedScope } from './context.js';
import { withOpenAiErrors } from './openai-error.js';

function idempotencyKeyOf(scope: AuthenticatedScope): string | undefined {
  const header = scope.request.headers.get('idempotency-key');
  if (header === null) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(header);
  if (!parsed.success)
    throw new ValidationError('The Idempotency-Key header is invalid.', [
      { field: '(header) idempotency-key', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  return parsed.data;
}

export const createBatch = withOpenAiErrors(
  tenantRoute(async (scope) => {
    // A suspended tenant's lines could never run: refused here (403), as its submissions are.
    await scope.services.security.gate.tenant(scope.principal.tenantId);
    const idempotencyKey = idempotencyKeyOf(scope);
    const { value } = await readJsonBody(scope);
    const { batch } = await create(scope.services.batches, {
      tenantId: scope.principal.tenantId,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      body: value,
      traceId: scope.trace.traceId,
    });
    // OpenAI answers 200 with the Batch object, new or not.
    return json(200, toBatchObject(batch));
  }),
);

export const getBatch = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const id = pathParam(scope, 'id', BatchIdSchema);
    return json(
      200,
      toBatchObject(await reads.getBatch(scope.services.batches, scope.principal.tenantId, id)),
    );
  }),
);

export const listBatches = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const query = parseOrThrow(
      BatchListQuerySchema,
      Object.fromEntries(scope.request.query.entries()),
      'The query',
    );
    const page = await reads.listBatches(scope.services.batches, scope.principal.tenantId, query);
    const data = page.batches.map(toBatchObject);
    return json(200, {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    });
  }),
);

export const cancelBatch = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const id = pathParam(scope, 'id', BatchIdSchema);
    return json(
      200,
      toBatchObject(await reads.cancelBatch(scope.services.batches, scope.principal.tenantId, id)),
    );
  }),
);
