/**
 * The tenant's scheduling settings (weight, allowed and default priorities, model tokens per minute per
 * alias) through the admin use cases, and the priority rule at the submission gate and in accept: a
 * priority the tenant may not use is a 403 naming `priority`; a job that names none gets the tenant's
 * default, which the job document and its invoke message carry.
 */
import { describe, expect, test } from 'vitest';
import { problemResponse } from '../../../functions/http/problem.js';
import type { Principal } from '../../../shared/auth/principal.js';
import { ForbiddenError, ValidationError } from '../../../shared/errors/index.js';
import { InvokeMessageSchema } from '../../../shared/messaging/stage-messages.js';
import { acceptJob } from '../../../shared/pipeline/accept.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { createTenant, getTenant, updateTenant } from '../../../shared/tenancy/admin.js';
import { TenantSchema, modelTokensPerMinute, schedulingOf } from '../../../shared/tenancy/tenant.js';
import { refusalOf } from '../../fakes/refusal.js';
import { gatedStage } from '../../fakes/gated-stage.js';
import { tenantFixture } from '../../security/tenants-fixture.js';

const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };

const setup = (scheduling?: Record<string, unknown>) =>
  gatedStage({
    tenant: {
      id: 'team-a',
      name: 'A',
      allowedModels: ['gpt-4o-mini'],
      quotas: { modelTokensPerMinute: { 'gpt-4o-mini': 50_000, '*': 10_000 } },
      ...(scheduling ? { scheduling } : {}),
    },
    security: { tenantCacheMs: 0 },
  });

describe('tenant scheduling settings', () => {
  test('a new tenant gets weight 1, every priority, standard by default; limits per alias with * as the rest', async () => {
    const { security } = await setup();
    const tenant = await getTenant(admin, 'team-a', security.admin);
    expect(tenant.scheduling).toEqual({
      weight: 1,
      allowedPriorities: ['interactive', 'standard', 'background'],
      defaultPriority: 'standard',
    });
    expect(modelTokensPerMinute(tenant, 'gpt-4o-mini')).toBe(50_000);
    expect(modelTokensPerMinute(tenant, 'gpt-4o')).toBe(10_000);
    expect(modelTokensPerMinute(tenantFixture('old'), 'gpt-4o')).toBeUndefined();
  });

  test('a record written before scheduling existed reads with the defaults', () => {
    const stored = { ...tenantFixture('old') } as Record<string, unknown>;
    delete stored['scheduling'];
    const tenant = TenantSchema.parse(stored);
    expect(schedulingOf(tenant)).toMatchObject({ weight: 1, defaultPriority: 'standard' });
  });

  test('an update merges fields, and a default outside the allowed priorities is a 400 naming it', async () => {
    const { security } = await setup();
    const updated = await updateTenant(
      admin,
      'team-a',
      { scheduling: { weight: 3, allowedPriorities: ['standard', 'background'] } },
      security.admin,
    );
    expect(updated.scheduling).toEqual({
      weight: 3,
      allowedPriorities: ['standard', 'background'],
      defaultPriority: 'standard',
    });
    const refused = updateTenant(
      admin,
      'team-a',
      { scheduling: { defaultPriority: 'interactive' } },
      security.admin,
    );
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ issues: [{ field: 'defaultPriority' }] });
    await expect(
      createTenant(
        admin,
        {
          id: 'team-b',
          name: 'B',
          allowedModels: ['*'],
          scheduling: { allowedPriorities: ['background'], defaultPriority: 'standard' },
        },
        security.admin,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      updateTenant(admin, 'team-a', { scheduling: { weight: 0 } }, security.admin),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('job priority', () => {
  test('a priority the tenant may not use: 403 problem+json naming the field', async () => {
    const { security } = await setup({ allowedPriorities: ['standard', 'background'] });
    const error = await refusalOf(security.gate.admit('team-a', { ...body, priority: 'interactive' }, 100));
    expect(error).toBeInstanceOf(ForbiddenError);
    const response = problemResponse(error);
    expect(response.status).toBe(403);
    const problem = JSON.parse(response.body as string) as { errors?: Array<{ field: string }> };
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'priority' })]);
    // Allowed ones and none at all pass.
    await expect(security.gate.admit('team-a', { ...body, priority: 'background' }, 100)).resolves.toEqual({
      kind: 'admit',
    });
    await expect(security.gate.admit('team-a', body, 100)).resolves.toEqual({ kind: 'admit' });
  });

  test('an unknown priority is a 400 from the job schema', async () => {
    const { stage } = await setup();
    await expect(
      acceptJob(stage, {
        tenantId: 'team-a',
        body: { ...body, priority: 'urgent' },
        source: 'http',
        trace: newTrace(),
      }),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ field: 'priority' })] });
  });

  test('accept records the named priority, else the tenant default, and carries weight and limit to invoke', async () => {
    const { stage } = await setup();
    const scheduling = { defaultPriority: 'background' as const, weight: 4, tokensPerMinute: 50_000 };
    const named = await acceptJob(stage, {
      tenantId: 'team-a',
      idempotencyKey: 'named',
      body: { ...body, priority: 'interactive' },
      source: 'http',
      trace: newTrace(),
      scheduling,
    });
    const defaulted = await acceptJob(stage, {
      tenantId: 'team-a',
      idempotencyKey: 'defaulted',
      body,
      source: 'http',
      trace: newTrace(),
      scheduling,
    });
    expect(named.job.priority).toBe('interactive');
    expect(defaulted.job.priority).toBe('background');
    const messages = stage.publisher.on('invoke').map((sent) => InvokeMessageSchema.parse(sent.body));
    expect(messages.map((m) => m.scheduling)).toEqual([
      { priority: 'interactive', weight: 4, tokensPerMinute: 50_000 },
      { priority: 'background', weight: 4, tokensPerMinute: 50_000 },
    ]);
  });
});
