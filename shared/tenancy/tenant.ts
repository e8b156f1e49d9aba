/**
 * The tenant record: who may use the platform, which model aliases, how much, and for how long data is
 * kept. Schemas are strict: an admin typo (`maxJobsInFlght`) is a 400, not a silently ignored field.
 */
import { z } from 'zod';
import { JOB_PRIORITIES, JobPrioritySchema, type JobPriority } from '../jobs/submission.js';

/** Lowercase, digits and dashes: safe as a Cosmos partition key value, in ids, logs and URLs. */
export const TenantIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,62}$/,
    '2-63 characters: lowercase letters, digits and -, not starting with -',
  );

const ModelAliasSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(\*|[a-zA-Z0-9._-]+)$/, 'a model alias (letters, digits, ., _ and -) or * for any');

const quotaFields = {
  submissionsPerMinute: z.number().int().min(1).max(100_000),
  maxJobsInFlight: z.number().int().min(1).max(100_000),
  /** Prompt + completion tokens per UTC day across all the tenant's jobs. */
  dailyTokenBudget: z.number().int().min(1).max(10_000_000_000),
  /** What happens once the budget is spent: 429 (`refuse`) or accept and run after midnight UTC (`hold`). */
  budgetPolicy: z.enum(['refuse', 'hold']),
  maxRequestBytes: z
    .number()
    .int()
    .min(1_024)
    .max(4 * 1024 * 1024),
  maxMessages: z.number().int().min(1).max(256),
  /**
   * Model tokens per minute per model alias (`*`: every alias not named), counted as the service counts
   * them (prompt + max_tokens when the call is made), across the fleet. A job over it waits, never fails.
   */
  modelTokensPerMinute: z.record(ModelAliasSchema, z.number().int().min(1_000).max(1_000_000_000)),
};

export const TenantQuotasSchema = z.strictObject({
  submissionsPerMinute: quotaFields.submissionsPerMinute.default(60),
  maxJobsInFlight: quotaFields.maxJobsInFlight.default(100),
  dailyTokenBudget: quotaFields.dailyTokenBudget.default(2_000_000),
  budgetPolicy: quotaFields.budgetPolicy.default('refuse'),
  maxRequestBytes: quotaFields.maxRequestBytes.default(256 * 1024),
  maxMessages: quotaFields.maxMessages.default(64),
  // Optional rather than defaulted: records written before it read as "no limit".
  modelTokensPerMinute: quotaFields.modelTokensPerMinute.optional(),
});

/** A quota change or a create's overrides: only the fields given. No defaults here, or a PATCH would reset the rest. */
const QuotaPatchSchema = z.strictObject(quotaFields).partial();
export type TenantQuotas = z.infer<typeof TenantQuotasSchema>;

const schedulingFields = {
  /** Share of a saturated deployment relative to other tenants with work waiting (default 1). */
  weight: z.number().min(0.01).max(1_000),
  /** Priorities the tenant's jobs may ask for; another is refused with 403 naming `priority`. */
  allowedPriorities: z.array(JobPrioritySchema).min(1).max(JOB_PRIORITIES.length),
  /** The priority of a job that names none; must be one of the allowed ones. */
  defaultPriority: JobPrioritySchema,
};

const defaultPriorityAllowed = (value: {
  defaultPriority?: JobPriority;
  allowedPriorities?: JobPriority[];
}) =>
  value.defaultPriority === undefined ||
  value.allowedPriorities === undefined ||
  value.allowedPriorities.includes(value.defaultPriority);
const defaultPriorityIssue = {
  message: 'the default priority must be one of the allowed priorities',
  path: ['defaultPriority'],
};

export const TenantSchedulingSchema = z
  .strictObject({
    weight: schedulingFields.weight.default(1),
    allowedPriorities: schedulingFields.allowedPriorities.default(['interactive', 'standard', 'background']),
    defaultPriority: schedulingFields.defaultPriority.default('standard'),
  })
  .refine(defaultPriorityAllowed, defaultPriorityIssue);
export type TenantScheduling = z.infer<typeof TenantSchedulingSchema>;
/** A scheduling change: only the fields given (the merged result is checked again). */
const SchedulingPatchSchema = z.strictObject(schedulingFields).partial();

export const TenantSchema = z.strictObject({
  id: TenantIdSchema,
  name: z.string().min(1).max(200),
  status: z.enum(['active', 'suspended']),
  /** Model aliases the tenant may request; `*` allows every alias the router knows. */
  allowedModels: z.array(ModelAliasSchema).max(64),
  quotas: TenantQuotasSchema,
  /** Weight and priorities under a saturated model quota; absent (older records) means the defaults. */
  scheduling: TenantSchedulingSchema.optional(),
  /** Ids of the tenant's webhook endpoints (documents in the `webhooks` container). */
  webhookEndpointIds: z.array(z.string().min(1).max(128)).max(32),
  /** Job documents expire this many days after their terminal state (Cosmos per-item TTL). */
  retentionDays: z.number().int().min(1).max(3_650),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Tenant = z.infer<typeof TenantSchema>;

export const CreateTenantInputSchema = z.strictObject({
  id: TenantIdSchema,
  name: z.string().min(1).max(200),
  allowedModels: z.array(ModelAliasSchema).min(1).max(64),
  quotas: QuotaPatchSchema.default({}),
  scheduling: SchedulingPatchSchema.default({}).refine(defaultPriorityAllowed, defaultPriorityIssue),
  webhookEndpointIds: z.array(z.string().min(1).max(128)).max(32).default([]),
  retentionDays: z.number().int().min(1).max(3_650).default(30),
});
export type CreateTenantInput = z.input<typeof CreateTenantInputSchema>;

export const UpdateTenantInputSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  status: z.enum(['active', 'suspended']).optional(),
  allowedModels: z.array(ModelAliasSchema).min(1).max(64).optional(),
  quotas: QuotaPatchSchema.optional(),
  scheduling: SchedulingPatchSchema.optional(),
  webhookEndpointIds: z.array(z.string().min(1).max(128)).max(32).optional(),
  retentionDays: z.number().int().min(1).max(3_650).optional(),
});
export type UpdateTenantInput = z.input<typeof UpdateTenantInputSchema>;

export function allowsModel(tenant: Tenant, alias: string): boolean {
  return tenant.allowedModels.includes('*') || tenant.allowedModels.includes(alias);
}

export const DEFAULT_SCHEDULING: TenantScheduling = TenantSchedulingSchema.parse({});

export function schedulingOf(tenant: Pick<Tenant, 'scheduling'>): TenantScheduling {
  return tenant.scheduling ?? DEFAULT_SCHEDULING;
}

export function allowsPriority(tenant: Pick<Tenant, 'scheduling'>, priority: JobPriority): boolean {
  return schedulingOf(tenant).allowedPriorities.includes(priority);
}

/** The tenant's model tokens per minute for an alias (its own entry, else `*`), if it has a limit. */
export function modelTokensPerMinute(tenant: Pick<Tenant, 'quotas'>, alias: string): number | undefined {
  const limits = tenant.quotas.modelTokensPerMinute ?? {};
  return limits[alias] ?? limits['*'];
}

/** Cosmos per-item `ttl` (seconds) for a tenant's terminal job documents. */
export function retentionTtlSeconds(tenant: Pick<Tenant, 'retentionDays'>): number {
  return tenant.retentionDays * 24 * 60 * 60;
}
