/**
 * Operators' dead-letter routes under /api/v1/admin/dead-letters/{queue} (platform admin role): list
 * (peek, paged by sequence number), redrive and purge. The use cases are in shared/recovery/operator.ts.
 */
import {
  DeadLetterQueueSchema,
  DeadLetterSelectorSchema,
  PurgeRequestSchema,
  listDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
  type OperatorDeps,
} from '../../shared/recovery/operator.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import type { AppServices } from '../app-services.js';
import { ListDeadLettersQuerySchema } from './admin-docs.js';
import { adminRoute, json, pathParam, readJsonBody } from './context.js';

function operatorDeps(services: AppServices): OperatorDeps {
  return { deadLetters: services.deadLetters, jobs: services.jobs, logger: services.logger };
}

export const adminListDeadLetters = adminRoute(async (scope) => {
  const queue = pathParam(scope, 'queue', DeadLetterQueueSchema);
  const query = parseOrThrow(
    ListDeadLettersQuerySchema,
    Object.fromEntries(scope.request.query.entries()),
    'The query',
  );
  const page = await listDeadLetters(
    scope.principal,
    queue,
    { limit: query.limit, ...(query.from ? { fromSequenceNumber: query.from } : {}) },
    operatorDeps(scope.services),
  );
  return json(200, page);
});

export const adminRedriveDeadLetters = adminRoute(async (scope) => {
  const queue = pathParam(scope, 'queue', DeadLetterQueueSchema);
  const { value } = await readJsonBody(scope);
  const selector = parseOrThrow(DeadLetterSelectorSchema, value, 'The selector');
  return json(200, await redriveDeadLetters(scope.principal, queue, selector, operatorDeps(scope.services)));
});

export const adminPurgeDeadLetters = adminRoute(async (scope) => {
  const queue = pathParam(scope, 'queue', DeadLetterQueueSchema);
  const { value } = await readJsonBody(scope);
  const request = parseOrThrow(PurgeRequestSchema, value, 'The purge request');
  return json(200, await purgeDeadLetters(scope.principal, queue, request, operatorDeps(scope.services)));
});
