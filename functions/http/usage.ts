/**
 * `GET /api/v1/usage`: the caller's token and cost totals over a range (default: this UTC month so far).
 */
import { z } from 'zod';
import { ValidationError } from '../../shared/errors/index.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import { json, tenantRoute } from './context.js';

const MAX_RANGE_MS = 366 * 24 * 60 * 60 * 1000;

export const UsageQuerySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

function startOfUtcMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export const getUsage = tenantRoute(async (scope) => {
  const query = parseOrThrow(
    UsageQuerySchema,
    Object.fromEntries(scope.request.query.entries()),
    'The query',
  );
  const now = new Date();
  const since = query.since ? new Date(query.since) : startOfUtcMonth(now);
  const until = query.until ? new Date(query.until) : now;
  if (until <= since || until.getTime() - since.getTime() > MAX_RANGE_MS) {
    throw new ValidationError('`until` must be after `since`, at most 366 days later.', [
      { field: 'until', message: 'after since, within 366 days' },
    ]);
  }
  const totals = await scope.services.usage.totals(scope.principal.tenantId, since, until);
  return json(200, {
    tenantId: scope.principal.tenantId,
    since: since.toISOString(),
    until: until.toISOString(),
    ...totals,
  });
});
