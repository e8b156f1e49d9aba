/**
 * The admin routes' documentation (handlers in admin.ts and dead-letters.ts; the tenant use cases validate
 * their bodies with the shared/tenancy schemas named here, the dead-letter routes with the ones below).
 */
import { z } from 'zod';
import { KeyIdSchema } from '../../shared/auth/api-keys.js';
import type { DeadLetterPage } from '../../shared/messaging/dead-letters.js';
import {
  DeadLetterQueueSchema,
  DeadLetterSelectorSchema,
  PurgeRequestSchema,
  type ActionResult,
} from '../../shared/recovery/operator.js';
import { IssueKeyInputSchema, type ApiKeyView, type IssuedApiKey } from '../../shared/tenancy/admin.js';
import {
  CreateTenantInputSchema,
  TenantIdSchema,
  TenantSchema,
  UpdateTenantInputSchema,
} from '../../shared/tenancy/tenant.js';
import { fits, type RouteDoc } from './route-docs.js';

export const ListDeadLettersQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  /** The previous page's `next`. */
  from: z
    .string()
    .regex(/^\d{1,20}$/, 'a sequence number (decimal digits)')
    .optional()
    .meta({ description: "The previous page's `next`" }),
});

const TenantPath = z.object({ tenantId: TenantIdSchema });
const QueuePath = z.object({ queue: DeadLetterQueueSchema });
const Tenant = TenantSchema.meta({ id: 'Tenant' });

const ApiKeySchema = fits<ApiKeyView>()(
  z
    .object({
      keyId: z.string(),
      tenantId: z.string(),
      prefix: z.string(),
      name: z.string(),
      createdAt: z.string(),
      revokedAt: z.string().optional(),
    })
    .meta({ id: 'ApiKey' }),
);

const IssuedApiKeySchema = fits<IssuedApiKey>()(
  ApiKeySchema.extend({ key: z.string().meta({ description: 'The whole key, shown this once' }) }).meta({
    id: 'IssuedApiKey',
  }),
);

const DeadLetterPageSchema = fits<DeadLetterPage>()(
  z
    .object({
      deadLetters: z.array(
        z.object({
          queue: z.string(),
          sequenceNumber: z.string(),
          messageId: z.string(),
          reason: z.string().optional(),
          description: z.string().optional(),
          jobId: z.string().optional(),
          tenantId: z.string().optional(),
          enqueuedAt: z.string().optional(),
          deliveryCount: z.number().int(),
          state: z.enum(['active', 'deferred']),
          redriveCount: z.number().int(),
        }),
      ),
      next: z.string().optional(),
    })
    .meta({ id: 'DeadLetterPage' }),
);

const ActionResultSchema = fits<ActionResult>()(
  z
    .object({
      redriven: z.number().int(),
      purged: z.number().int(),
      skipped: z.number().int(),
      /** True when the per-call maximum was reached: call again for the rest. */
      more: z.boolean(),
    })
    .meta({ id: 'DeadLetterActionResult' }),
);

const tenant = { description: 'The tenant', schema: Tenant } as const;

export const ADMIN_DOCS = {
  adminCreateTenant: {
    summary: 'Create a tenant (admin)',
    access: 'admin',
    body: { schema: CreateTenantInputSchema.meta({ id: 'CreateTenant' }) },
    responses: { 201: { description: 'The tenant', schema: Tenant } },
    problems: [400, 409],
  },
  adminListTenants: {
    summary: 'List tenants (admin)',
    access: 'admin',
    responses: { 200: { description: 'Every tenant', schema: z.object({ tenants: z.array(Tenant) }) } },
    problems: [],
  },
  adminGetTenant: {
    summary: 'Read a tenant (admin)',
    access: 'admin',
    path: TenantPath,
    responses: { 200: tenant },
    problems: [400, 404],
  },
  adminUpdateTenant: {
    summary: 'Change a tenant (admin): name, status, models, quotas, retention',
    access: 'admin',
    path: TenantPath,
    body: { schema: UpdateTenantInputSchema.meta({ id: 'UpdateTenant' }) },
    responses: { 200: tenant },
    problems: [400, 404, 409],
  },
  adminIssueKey: {
    summary: 'Issue an API key for a tenant (admin); the key is shown once',
    access: 'admin',
    path: TenantPath,
    body: { schema: IssueKeyInputSchema.meta({ id: 'IssueApiKey' }) },
    responses: {
      201: { description: 'The key, with its secret (Cache-Control: no-store)', schema: IssuedApiKeySchema },
    },
    problems: [400, 404, 409],
  },
  adminListKeys: {
    summary: "A tenant's API keys (admin); never their secrets",
    description: 'An unknown tenant has none: an empty list.',
    access: 'admin',
    path: TenantPath,
    responses: { 200: { description: 'The keys', schema: z.object({ keys: z.array(ApiKeySchema) }) } },
    problems: [400],
  },
  adminRevokeKey: {
    summary: 'Revoke an API key (admin); it stops working within 10 s',
    access: 'admin',
    path: TenantPath.extend({ keyId: KeyIdSchema }),
    responses: { 200: { description: 'The revoked key', schema: ApiKeySchema } },
    problems: [400, 404, 409],
  },
  adminListDeadLetters: {
    summary: "Peek at a queue's dead letters (admin)",
    description: "Paged by sequence number: `from` is the previous page's `next`.",
    access: 'admin',
    path: QueuePath,
    query: ListDeadLettersQuerySchema,
    responses: { 200: { description: 'A page of dead letters', schema: DeadLetterPageSchema } },
    problems: [400],
  },
  adminRedriveDeadLetters: {
    summary: 'Send the selected dead letters back to their queue (admin)',
    description: 'Dead letters of finished jobs are skipped.',
    access: 'admin',
    path: QueuePath,
    body: { schema: DeadLetterSelectorSchema.meta({ id: 'DeadLetterSelector' }) },
    responses: { 200: { description: 'What was done', schema: ActionResultSchema } },
    problems: [400],
  },
  adminPurgeDeadLetters: {
    summary: 'Remove the selected dead letters (admin)',
    description: '`confirm` must repeat the queue name.',
    access: 'admin',
    path: QueuePath,
    body: { schema: PurgeRequestSchema.meta({ id: 'PurgeDeadLetters' }) },
    responses: { 200: { description: 'What was done', schema: ActionResultSchema } },
    problems: [400],
  },
} as const satisfies Record<string, RouteDoc>;
