/**
 * `GET /api/v1/usage`: the caller's token and cost totals over a range (default: this UTC month so far).
 */
import { ValidationError } from '../../shared/errors/index.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import { dayOf } from '../../shared/tenancy/usage-rollup.js';
import { json, tenantRoute } from './context.js';
import { DailyUsageQuerySchema, UsageQuerySchema } from './usage-docs.js';

const MAX_RANGE_MS = 366 * 24 * 60 * 60 * 1000;

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

/**
 * `GET /api/v1/usage/daily?since=YYYY-MM-DD&until=YYYY-MM-DD`: the caller's daily rollups (per model
 * alias and terminal status), which outlive the job documents' retention. A day is rolled up once it
 * has ended (the `reconcile` timer); days without a rollup are absent.
 */
export const getDailyUsage = tenantRoute(async (scope) => {
  const query = parseOrThrow(
    DailyUsageQuerySchema,
    Object.fromEntries(scope.request.query.entries()),
    'The query',
  );
  const since = Date.parse(`${query.since}T00:00:00Z`);
  const until = query.until ? Date.parse(`${query.until}T00:00:00Z`) : Date.now();
  const days = Math.floor((until - since) / 86_400_000) + 1;
  if (days < 1 || days > 366) {
    throw new ValidationError('`until` must be on or after `since`, at most 366 days later.', [
      { field: 'until', message: 'on or after since, within 366 days' },
    ]);
  }
  const tenantId = scope.principal.tenantId;
  const rollups = await Promise.all(
    Array.from({ length: days }, (_, i) =>
      scope.services.usageRollups.get(tenantId, dayOf(since + i * 86_400_000)),
    ),
  );
  return json(200, {
    tenantId,
    days: rollups.filter((r) => r !== undefined).map(({ tenantId: _t, ...day }) => day),
  });
});
