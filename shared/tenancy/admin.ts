/**
 * Admin use cases: tenants and their API keys. Every one starts with `requireRole(principal, 'admin')`,
 * so no HTTP wiring mistake can expose them to a tenant's caller. Inputs arrive as `unknown` and are
 * parsed here with the strict schemas.
 */
import { z } from 'zod';
import { generateApiKey, KeyIdSchema, type ApiKeyRecord } from '../auth/api-keys.js';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import { requireRole, type Principal } from '../auth/principal.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import type { TenantStore } from './store.js';
import {
  CreateTenantInputSchema,
  TenantIdSchema,
  TenantQuotasSchema,
  TenantSchedulingSchema,
  UpdateTenantInputSchema,
  schedulingOf,
  type Tenant,
} from './tenant.js';
import type { Clock } from '../time/clock.js';

export interface TenantAdminDeps {
  readonly tenants: TenantStore;
  readonly keys: ApiKeyStore;
  readonly clock: Clock;
  /** Environment label minted into keys (`apiKeyEnvLabel(config.PIPELINE_ENVIRONMENT)`). */
  readonly apiKeyEnv: string;
  readonly pepper?: string;
}

/** What the admin API shows of a key: never the hash, never the secret. */
export interface ApiKeyView {
  readonly keyId: string;
  readonly tenantId: string;
  readonly prefix: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface IssuedApiKey extends ApiKeyView {
  /** The whole key, returned exactly once. */
  readonly key: string;
}

export function toApiKeyView(record: ApiKeyRecord): ApiKeyView {
  return {
    keyId: record.keyId,
    tenantId: record.tenantId,
    prefix: record.prefix,
    name: record.name,
    createdAt: record.createdAt,
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
  };
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    `The ${what} is invalid.`,
    result.error.issues.map((issue) => ({ field: issue.path.map(String).join('/'), message: issue.message })),
  );
}

function parseTenantId(tenantId: string): string {
  return parse(TenantIdSchema, tenantId, 'tenant id');
}

export async function createTenant(
  principal: Principal,
  input: unknown,
  deps: TenantAdminDeps,
): Promise<Tenant> {
  requireRole(principal, 'admin');
  const parsed = parse(CreateTenantInputSchema, input, 'tenant');
  const now = new Date(deps.clock()).toISOString();
  const tenant: Tenant = {
    id: parsed.id,
    name: parsed.name,
    status: 'active',
    allowedModels: parsed.allowedModels,
    quotas: TenantQuotasSchema.parse(parsed.quotas),
    scheduling: TenantSchedulingSchema.parse(parsed.scheduling),
    webhookEndpointIds: parsed.webhookEndpointIds,
    retentionDays: parsed.retentionDays,
    createdAt: now,
    updatedAt: now,
  };
  return (await deps.tenants.create(tenant)).tenant;
}

export async function getTenant(
  principal: Principal,
  tenantId: string,
  deps: TenantAdminDeps,
): Promise<Tenant> {
  requireRole(principal, 'admin');
  const stored = await deps.tenants.get(parseTenantId(tenantId));
  if (!stored) throw new NotFoundError('No such tenant.');
  return stored.tenant;
}

export async function listTenants(principal: Principal, deps: TenantAdminDeps): Promise<Tenant[]> {
  requireRole(principal, 'admin');
  return deps.tenants.list();
}

export async function updateTenant(
  principal: Principal,
  tenantId: string,
  input: unknown,
  deps: TenantAdminDeps,
): Promise<Tenant> {
  requireRole(principal, 'admin');
  const id = parseTenantId(tenantId);
  const patch = parse(UpdateTenantInputSchema, input, 'tenant update');
  // Read-modify-write under ETag; a concurrent edit to another field is merged by re-reading, not lost.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const stored = await deps.tenants.get(id);
    if (!stored) throw new NotFoundError('No such tenant.');
    const current = stored.tenant;
    const next: Tenant = {
      ...current,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.allowedModels !== undefined ? { allowedModels: patch.allowedModels } : {}),
      ...(patch.webhookEndpointIds !== undefined ? { webhookEndpointIds: patch.webhookEndpointIds } : {}),
      ...(patch.retentionDays !== undefined ? { retentionDays: patch.retentionDays } : {}),
      quotas: { ...current.quotas, ...stripUndefined(patch.quotas ?? {}) },
      // Checked again merged: a new default must be among the allowed priorities, old or new.
      scheduling: parse(
        TenantSchedulingSchema,
        { ...schedulingOf(current), ...stripUndefined(patch.scheduling ?? {}) },
        'tenant update',
      ),
      updatedAt: new Date(deps.clock()).toISOString(),
    };
    try {
      return (await deps.tenants.replace(next, stored.etag)).tenant;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError('The tenant is being changed concurrently; try again.');
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A label so humans can tell keys apart in listings, e.g. "ci-pipeline". */
export const IssueKeyInputSchema = z.strictObject({ name: z.string().min(1).max(100) });

export async function issueApiKey(
  principal: Principal,
  tenantId: string,
  input: unknown,
  deps: TenantAdminDeps,
): Promise<IssuedApiKey> {
  requireRole(principal, 'admin');
  const id = parseTenantId(tenantId);
  const { name } = parse(IssueKeyInputSchema, input, 'key request');
  const stored = await deps.tenants.get(id);
  if (!stored) throw new NotFoundError('No such tenant.');
  if (stored.tenant.status !== 'active') throw new ConflictError('The tenant is suspended.');
  const { key, record } = generateApiKey({
    tenantId: id,
    env: deps.apiKeyEnv,
    name,
    now: new Date(deps.clock()),
    ...(deps.pepper ? { pepper: deps.pepper } : {}),
  });
  await deps.keys.create(record);
  return { ...toApiKeyView(record), key };
}

export async function listApiKeys(
  principal: Principal,
  tenantId: string,
  deps: TenantAdminDeps,
): Promise<ApiKeyView[]> {
  requireRole(principal, 'admin');
  const records = await deps.keys.listByTenant(parseTenantId(tenantId));
  return records.map(toApiKeyView);
}

export async function revokeApiKey(
  principal: Principal,
  tenantId: string,
  keyId: string,
  deps: TenantAdminDeps,
): Promise<ApiKeyView> {
  requireRole(principal, 'admin');
  const id = parseTenantId(tenantId);
  const existing = KeyIdSchema.safeParse(keyId).success ? await deps.keys.get(keyId) : undefined;
  // A key of another tenant is "not found" under this tenant's URL: ids must not be probeable.
  if (!existing || existing.tenantId !== id) throw new NotFoundError('No such API key.');
  const revoked = await deps.keys.revoke(keyId, new Date(deps.clock()));
  if (!revoked) throw new NotFoundError('No such API key.');
  return toApiKeyView(revoked);
}
