/** Admin use cases: tenants and keys, admin role required, strict inputs, no secret leaks in views. */
import { describe, expect, test } from 'vitest';
import { InMemoryApiKeyStore } from '../../fakes/memory-api-key-store.js';
import { createApiKeyVerifier } from '../../../shared/auth/api-keys.js';
import type { Principal } from '../../../shared/auth/principal.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../../shared/errors/index.js';
import {
  createTenant,
  getTenant,
  issueApiKey,
  listApiKeys,
  listTenants,
  revokeApiKey,
  updateTenant,
  type TenantAdminDeps,
} from '../../../shared/tenancy/admin.js';
import { InMemoryTenantStore } from '../../fakes/memory-tenant-store.js';

const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };
const tenantCaller: Principal = { tenantId: 'team-a', kind: 'apiKey', roles: ['jobs'], keyId: 'k' };

function deps(): TenantAdminDeps & { keys: InMemoryApiKeyStore } {
  return {
    tenants: new InMemoryTenantStore(),
    keys: new InMemoryApiKeyStore(),
    clock: () => Date.parse('2026-11-25T20:00:00Z'),
    apiKeyEnv: 'test',
  };
}

describe('tenant administration', () => {
  test('create with defaults, get, list, update merges quotas', async () => {
    const d = deps();
    const created = await createTenant(
      admin,
      { id: 'team-a', name: 'Team A', allowedModels: ['gpt-4o-mini'] },
      d,
    );
    expect(created).toMatchObject({
      id: 'team-a',
      status: 'active',
      retentionDays: 30,
      quotas: { submissionsPerMinute: 60, maxJobsInFlight: 100, budgetPolicy: 'refuse' },
    });
    expect(await getTenant(admin, 'team-a', d)).toEqual(created);
    expect((await listTenants(admin, d)).map((t) => t.id)).toEqual(['team-a']);

    const updated = await updateTenant(
      admin,
      'team-a',
      { quotas: { maxJobsInFlight: 5 }, status: 'suspended' },
      d,
    );
    expect(updated.quotas).toMatchObject({ maxJobsInFlight: 5, submissionsPerMinute: 60 });
    expect(updated.status).toBe('suspended');

    // A PATCH of one quota leaves the others as they were, not reset to defaults.
    await createTenant(
      admin,
      { id: 'team-q', name: 'Q', allowedModels: ['m'], quotas: { submissionsPerMinute: 7 } },
      d,
    );
    const patched = await updateTenant(admin, 'team-q', { quotas: { dailyTokenBudget: 5 } }, d);
    expect(patched.quotas).toMatchObject({
      submissionsPerMinute: 7,
      dailyTokenBudget: 5,
      maxJobsInFlight: 100,
    });
  });

  test('strict inputs: unknown fields, bad ids and bad quotas are 400 with field paths', async () => {
    const d = deps();
    const bad = [
      { id: 'Team A', name: 'x', allowedModels: ['m'] },
      { id: 'team-a', name: 'x', allowedModels: ['m'], quotas: { maxJobsInFlght: 5 } },
      { id: 'team-a', name: 'x', allowedModels: ['m'], isAdmin: true },
      { id: 'team-a', name: 'x', allowedModels: [] },
      { id: 'team-a', name: 'x', allowedModels: ['m'], quotas: { submissionsPerMinute: -1 } },
    ];
    for (const input of bad) {
      const error = await createTenant(admin, input, d).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.length).toBeGreaterThan(0);
    }
    await createTenant(admin, { id: 'team-a', name: 'x', allowedModels: ['m'] }, d);
    await expect(
      createTenant(admin, { id: 'team-a', name: 'y', allowedModels: ['m'] }, d),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(updateTenant(admin, 'nope', { name: 'z' }, d)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('every operation needs the admin role', async () => {
    const d = deps();
    await createTenant(admin, { id: 'team-a', name: 'A', allowedModels: ['m'] }, d);
    const attempts: Promise<unknown>[] = [
      createTenant(tenantCaller, { id: 'team-x', name: 'X', allowedModels: ['m'] }, d),
      getTenant(tenantCaller, 'team-a', d),
      listTenants(tenantCaller, d),
      updateTenant(tenantCaller, 'team-a', { quotas: { maxJobsInFlight: 100000 } }, d),
      issueApiKey(tenantCaller, 'team-a', { name: 'k' }, d),
      listApiKeys(tenantCaller, 'team-a', d),
      revokeApiKey(tenantCaller, 'team-a', '0'.repeat(24), d),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('key administration', () => {
  test('issue shows the key once; listings never include secret or hash; revoke works', async () => {
    const d = deps();
    await createTenant(admin, { id: 'team-a', name: 'A', allowedModels: ['m'] }, d);
    const issued = await issueApiKey(admin, 'team-a', { name: 'ci' }, d);
    expect(issued.key.startsWith(`${issued.prefix}_`)).toBe(true);
    let clock = Date.parse('2026-11-25T20:00:00Z');
    const verifier = createApiKeyVerifier({ store: d.keys, expectedEnv: 'test', clock: () => clock });
    await expect(verifier.verify(issued.key)).resolves.toMatchObject({ tenantId: 'team-a' });

    const listed = await listApiKeys(admin, 'team-a', d);
    expect(listed).toEqual([
      {
        keyId: issued.keyId,
        tenantId: 'team-a',
        prefix: issued.prefix,
        name: 'ci',
        createdAt: issued.createdAt,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(issued.key.slice(issued.prefix.length + 1));

    const revoked = await revokeApiKey(admin, 'team-a', issued.keyId, d);
    expect(revoked.revokedAt).toBeDefined();
    // Verifiers cache a verified key for 10 s: revocation takes effect everywhere within that.
    clock += 10_001;
    await expect(verifier.verify(issued.key)).rejects.toThrow('invalid or revoked');
  });

  test('a key cannot be revoked through another tenant’s URL, and suspended tenants get no keys', async () => {
    const d = deps();
    await createTenant(admin, { id: 'team-a', name: 'A', allowedModels: ['m'] }, d);
    await createTenant(admin, { id: 'team-b', name: 'B', allowedModels: ['m'] }, d);
    const a = await issueApiKey(admin, 'team-a', { name: 'a' }, d);
    await expect(revokeApiKey(admin, 'team-b', a.keyId, d)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeApiKey(admin, 'team-a', 'not-hex', d)).rejects.toBeInstanceOf(NotFoundError);
    await updateTenant(admin, 'team-b', { status: 'suspended' }, d);
    await expect(issueApiKey(admin, 'team-b', { name: 'b' }, d)).rejects.toBeInstanceOf(ConflictError);
    await expect(issueApiKey(admin, 'missing', { name: 'b' }, d)).rejects.toBeInstanceOf(NotFoundError);
  });
});
