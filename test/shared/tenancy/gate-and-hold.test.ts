/**
 * The submission gate as the HTTP front door uses it (in-memory security services over the lead's
 * in-memory job store), and the accept use case's handling of a `hold` decision: the invoke message
 * is scheduled for the next UTC midnight and the job's deadline starts then.
 */
import { describe, expect, test } from 'vitest';
import { refusalOf } from '../../fakes/refusal.js';
import type { Principal } from '../../../shared/auth/principal.js';
import { ForbiddenError, PayloadTooLargeError, RateLimitedError } from '../../../shared/errors/index.js';
import { acceptJob } from '../../../shared/pipeline/accept.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { updateTenant } from '../../../shared/tenancy/admin.js';
import { gatedStage } from '../../fakes/gated-stage.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };

const setup = (quotas: Record<string, unknown> = {}) =>
  gatedStage({
    tenant: { id: 'team-a', name: 'A', allowedModels: ['gpt-4o-mini'], quotas },
    security: { tenantCacheMs: 0 },
  });

describe('submission gate', () => {
  test('unknown and suspended tenants get the same 403', async () => {
    const { security } = await setup();
    const unknown = await refusalOf(security.gate.admit('nobody', body, 100));
    await updateTenant(admin, 'team-a', { status: 'suspended' }, security.admin);
    const suspended = await refusalOf(security.gate.admit('team-a', body, 100));
    expect(unknown).toBeInstanceOf(ForbiddenError);
    expect(suspended).toBeInstanceOf(ForbiddenError);
    expect((unknown as ForbiddenError).detail).toBe((suspended as ForbiddenError).detail);
  });

  test('schema-invalid bodies pass through without spending a rate token', async () => {
    const { security } = await setup({ submissionsPerMinute: 1 });
    for (let i = 0; i < 5; i += 1) {
      await expect(
        security.gate.admit('team-a', { model: 'gpt-4o-mini', messages: [] }, 10),
      ).resolves.toEqual({ kind: 'admit' });
    }
    await expect(security.gate.admit('team-a', body, 10)).resolves.toEqual({ kind: 'admit' });
    expect(await refusalOf(security.gate.admit('team-a', body, 10))).toBeInstanceOf(RateLimitedError);
  });

  test('tenant size limit and in-flight limit counted from the job store', async () => {
    const { stage, security } = await setup({ maxJobsInFlight: 2, maxRequestBytes: 2048 });
    expect(await refusalOf(security.gate.admit('team-a', body, 4096))).toBeInstanceOf(PayloadTooLargeError);
    for (const key of ['k1', 'k2']) {
      await security.gate.admit('team-a', body, 100);
      await acceptJob(stage, {
        tenantId: 'team-a',
        idempotencyKey: key,
        body,
        source: 'http',
        trace: newTrace(),
      });
    }
    const refused = await refusalOf(security.gate.admit('team-a', body, 100));
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).detail).toMatch(/in flight/);
  });

  test('budget spent: refuse by default, hold when the tenant says so', async () => {
    const { stage, security } = await setup({ dailyTokenBudget: 100 });
    await stage.jobs.create({
      ...(
        await acceptJob(stage, {
          tenantId: 'team-a',
          idempotencyKey: 'done',
          body,
          source: 'http',
          trace: newTrace(),
        })
      ).job,
      id: 'finished-job',
      status: 'succeeded',
      completedAt: new Date(stage.now).toISOString(),
      usage: { promptTokens: 60, completionTokens: 40, cachedTokens: 0, totalTokens: 100, costUsd: 0 },
    });
    expect(await refusalOf(security.gate.admit('team-a', body, 100))).toBeInstanceOf(RateLimitedError);
    await updateTenant(admin, 'team-a', { quotas: { budgetPolicy: 'hold' } }, security.admin);
    const decision = await security.gate.admit('team-a', body, 100);
    expect(decision).toEqual({
      kind: 'hold',
      untilMs: Date.parse('2026-11-26T00:00:00.000Z'),
      usedTokens: 100,
    });
  });
});

describe('accept with a hold', () => {
  test('schedules the invoke at the hold time and starts the deadline there', async () => {
    const stage = fakeStage();
    const until = Date.parse('2026-11-26T00:00:00.000Z');
    const { job } = await acceptJob(stage, {
      tenantId: 'team-a',
      idempotencyKey: 'held',
      body,
      source: 'http',
      trace: newTrace(),
      notBeforeMs: until,
    });
    const [invoke] = stage.publisher.on('invoke');
    expect(invoke?.scheduledAt?.getTime()).toBe(until);
    expect(invoke?.body).toMatchObject({ jobId: job.id, deadlineAt: until + stage.settings.deadlineMs });
  });

  test('a hold time already past sends at once', async () => {
    const stage = fakeStage();
    await acceptJob(stage, {
      tenantId: 't',
      idempotencyKey: 'k',
      body,
      source: 'http',
      trace: newTrace(),
      notBeforeMs: stage.now - 1,
    });
    expect(stage.publisher.on('invoke')[0]?.scheduledAt).toBeUndefined();
  });
});
