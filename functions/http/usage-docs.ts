/**
 * The usage routes' schemas and documentation (handlers in usage.ts, which validate with these).
 */
import { z } from 'zod';
import type { UsageTotals } from '../../shared/cosmos/usage-reader.js';
import { DailyUsageRowSchema } from '../../shared/tenancy/usage-rollup.js';
import { fits, type RouteDoc } from './route-docs.js';

export const UsageQuerySchema = z.strictObject({
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Default: the start of this UTC month' }),
  until: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Default: now; at most 366 days after since' }),
});

export const DailyUsageQuerySchema = z.strictObject({
  since: z.iso.date(),
  until: z.iso.date().optional().meta({ description: 'Default: today (UTC); at most 366 days after since' }),
});

const UsageTotalsSchema = fits<UsageTotals>()(
  z.object({
    jobs: z.number().int().min(0),
    promptTokens: z.number().int().min(0),
    completionTokens: z.number().int().min(0),
    cachedTokens: z.number().int().min(0),
    totalTokens: z.number().int().min(0),
    costUsd: z.number().min(0),
  }),
);

export const UsageSchema = UsageTotalsSchema.extend({
  tenantId: z.string(),
  since: z.iso.datetime(),
  until: z.iso.datetime(),
}).meta({ id: 'Usage' });
export type Usage = z.infer<typeof UsageSchema>;

export const DailyUsageListSchema = z
  .object({
    tenantId: z.string(),
    /** Days without a rollup (not ended yet, or no finished job) are absent. */
    days: z.array(
      z.object({ day: z.iso.date(), rows: z.array(DailyUsageRowSchema), rolledUpAt: z.string() }),
    ),
  })
  .meta({ id: 'DailyUsageList' });

export const USAGE_DOCS = {
  getUsage: {
    summary: "The caller's token and cost totals",
    description: 'Jobs finished in [since, until), default this UTC month so far.',
    access: 'tenant',
    query: UsageQuerySchema,
    responses: { 200: { description: 'Totals over the range', schema: UsageSchema } },
    problems: [400],
  },
  getDailyUsage: {
    summary: "The caller's daily usage rollups",
    description:
      'Per model alias and terminal status, for the UTC days [since, until]; rollups outlive the jobs. A day is rolled up once it has ended.',
    access: 'tenant',
    query: DailyUsageQuerySchema,
    responses: { 200: { description: 'The days that have a rollup', schema: DailyUsageListSchema } },
    problems: [400],
  },
} as const satisfies Record<string, RouteDoc>;
