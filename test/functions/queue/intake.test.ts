/**
 * The intake queue's reading of the tenant gate: a queue producer cannot be answered 429, so each
 * refusal reason becomes a hold, a failed job or a dead letter (functions/queue/intake.ts).
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { InvocationContext } from '@azure/functions';
import type { AppServices } from '../../../functions/app-services.js';
import type { QueueMessage } from '../../../functions/definitions.js';
import { acceptQueue } from '../../../functions/queue/intake.js';
import { useServices } from '../../../functions/services.js';
import type { Principal } from '../../../shared/auth/principal.js';
import { jobIdFor } from '../../../shared/jobs/ids.js';
import { updateTenant } from '../../../shared/tenancy/admin.js';
import { gatedStage } from '../../fakes/gated-stage.js';

const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };
const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
const context = {} as InvocationContext;

async function setup(quotas: Record<string, unknown> = {}) {
  const { stage, security } = await gatedStage({
    tenant: { id: 'team-a', name: 'A', allowedModels: ['gpt-4o-mini'], quotas },
    security: { tenantCacheMs: 0, inFlightCacheMs: 0 },
  });
  const services = {
    modelAliases: () => ['gpt-4o-mini', 'gpt-4o'],
    security,
    stage,
    accept: stage,
  } as unknown as AppServices;
  useServices(services);
  return { stage, security };
}

function message(id: string, body: unknown = request): QueueMessage {
  return { body, messageId: id, deliveryCount: 1, applicationProperties: { tenantId: 'team-a' } };
}

afterEach(() => useServices(undefined));

describe('intake queue admission', () => {
  test('admitted: the job is created and its invoke message sent now', async () => {
    const { stage } = await setup();
    expect(await acceptQueue(message('m1'), context)).toEqual({ settle: 'complete' });
    const job = await stage.jobs.get('team-a', jobIdFor('team-a', 'm1'));
    expect(job?.job.status).toBe('queued');
    expect(stage.publisher.sent.at(-1)?.scheduledAt).toBeUndefined();
  });

  test('over the rate limit: accepted and held until the window allows it, never refused', async () => {
    const { stage } = await setup({ submissionsPerMinute: 1 });
    await acceptQueue(message('m1'), context);
    expect(await acceptQueue(message('m2'), context)).toEqual({ settle: 'complete' });
    const held = await stage.jobs.get('team-a', jobIdFor('team-a', 'm2'));
    expect(held?.job.status).toBe('queued');
    const scheduled = stage.publisher.sent.at(-1)?.scheduledAt;
    expect(scheduled?.getTime()).toBeGreaterThan(Date.now());
  });

  test('over the size or message limits, or a model the tenant may not use: a failed job with the reason', async () => {
    const { stage } = await setup({ maxMessages: 1, maxRequestBytes: 2048 });
    const cases: Array<[string, unknown, RegExp]> = [
      [
        'too-many',
        { ...request, messages: [request.messages[0], request.messages[0]] },
        /At most 1 messages/,
      ],
      [
        'too-big',
        { ...request, messages: [{ role: 'user', content: 'x'.repeat(4096) }] },
        /limit of 2048 bytes/,
      ],
      ['not-enabled', { ...request, model: 'gpt-4o' }, /not enabled/],
    ];
    for (const [id, body, reason] of cases) {
      expect(await acceptQueue(message(id, body), context)).toEqual({ settle: 'complete' });
      const job = await stage.jobs.get('team-a', jobIdFor('team-a', id));
      expect(job?.job.status, id).toBe('failed');
      expect(job?.job.error?.message, id).toMatch(reason);
    }
  });

  test('a priority the tenant may not use: a failed job naming the field', async () => {
    const { stage, security } = await setup();
    await updateTenant(admin, 'team-a', { scheduling: { allowedPriorities: ['standard'] } }, security.admin);
    expect(await acceptQueue(message('p1', { ...request, priority: 'interactive' }), context)).toEqual({
      settle: 'complete',
    });
    const job = await stage.jobs.get('team-a', jobIdFor('team-a', 'p1'));
    expect(job?.job.status).toBe('failed');
    expect(job?.job.error?.message).toMatch(/may not submit interactive jobs/);
  });

  test('a suspended tenant cannot own a job: dead-lettered as TenantNotAllowed', async () => {
    const { stage, security } = await setup();
    await updateTenant(admin, 'team-a', { status: 'suspended' }, security.admin);
    const outcome = await acceptQueue(message('m1'), context);
    expect(outcome).toMatchObject({ settle: 'deadLetter', reason: 'TenantNotAllowed' });
    expect(await stage.jobs.get('team-a', jobIdFor('team-a', 'm1'))).toBeUndefined();
  });
});
