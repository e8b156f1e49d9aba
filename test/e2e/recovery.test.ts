/**
 * Nothing stuck: the whole local stack (dev host, Service Bus emulator, embedded Cosmos DB) with the
 * `reconcile` timer run on demand. A stage message that is dead-lettered ends its job `failed`; a
 * message that names no job stays for an operator, who lists, redrives and purges it in the emulator's
 * dead-letter sub-queue; a job past its deadline ends `stalled`; a day's usage is rolled up and served.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/auth/principal.js';
import { listDeadLetters, purgeDeadLetters, redriveDeadLetters } from '../../shared/recovery/operator.js';
import { dayOf, rollUpDay } from '../../shared/tenancy/usage-rollup.js';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';
import { strandedJob } from '../fakes/stranded-job.js';

let stack: LocalStack;
let serviceBus: ServiceBusClient;
const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'], subject: 'oid-ops' };

useLocalStack({}, (started) => {
  stack = started;
  serviceBus = new ServiceBusClient(stack.serviceBus.connectionString);
});

afterAll(async () => {
  await serviceBus?.close();
});

function operator() {
  return {
    deadLetters: stack.services.deadLetters,
    jobs: stack.services.jobs,
    logger: stack.services.logger,
  };
}

const queuedJob = (id: string, deadlineAt: number) =>
  strandedJob(stack.services.jobs, { id, tenantId: stack.tenantId, deadlineAt });

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('reconcile', () => {
  it('ends the job of a dead-lettered stage message failed, with the reason', async () => {
    const job = await queuedJob('job-dead-lettered', Date.now() + 3_600_000);
    const sender = serviceBus.createSender('invoke');
    // Not an invoke message: the invoke trigger dead-letters it (InvalidStageMessage).
    await sender.sendMessages({
      messageId: `${job.id}:invoke:0`,
      body: { kind: 'invoke', jobId: job.id },
      applicationProperties: { jobId: job.id, tenantId: job.tenantId },
    });
    await sender.close();
    const listed = await eventually(
      () => listDeadLetters(admin, 'invoke', { limit: 10 }, operator()),
      (page) => page.deadLetters.some((d) => d.jobId === job.id),
    );
    expect(listed.deadLetters.find((d) => d.jobId === job.id)).toMatchObject({
      tenantId: job.tenantId,
      reason: 'InvalidStageMessage',
      state: 'active',
    });

    await stack.host.runTimer('reconcile');
    const ended = await stack.services.jobs.get(job.tenantId, job.id);
    expect(ended?.job.status).toBe('failed');
    expect(ended?.job.error?.code).toBe('dead_lettered');
    expect(ended?.job.error?.message).toContain('InvalidStageMessage');
    expect((await listDeadLetters(admin, 'invoke', { limit: 10 }, operator())).deadLetters).toEqual([]);
  });

  it('re-drives a job whose message is gone once, from invoke, and it finishes', async () => {
    // Accepted 31 minutes ago, past the stages' allowance, with no message anywhere.
    const createdAt = Date.now() - 31 * 60_000;
    const job = await queuedJob('job-message-lost', createdAt + stack.config.JOB_DEADLINE_SECONDS * 1000);
    await stack.services.jobs.replace(
      { ...job, createdAt: new Date(createdAt).toISOString(), updatedAt: new Date(createdAt).toISOString() },
      (await stack.services.jobs.get(job.tenantId, job.id))!.etag,
    );
    const invoked = () => stack.instances()[0]?.invocations.invoke ?? 0;
    const before = invoked();
    await stack.host.runTimer('reconcile');
    const finished = await eventually(
      async () => (await stack.services.jobs.get(job.tenantId, job.id))?.job,
      (stored) => stored?.status === 'succeeded',
    );
    expect(finished?.status).toBe('succeeded');
    expect(invoked()).toBe(before + 1);
    // The next run sends the same message id again: duplicate detection drops it.
    await stack.host.runTimer('reconcile');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(invoked()).toBe(before + 1);
  });

  it('ends a job past its deadline stalled', async () => {
    const job = await queuedJob('job-stalled', Date.now() - 60 * 60_000);
    await stack.host.runTimer('reconcile');
    const ended = await stack.services.jobs.get(job.tenantId, job.id);
    expect(ended?.job).toMatchObject({ status: 'failed', error: { code: 'stalled' } });
  });
});

describe('dead-letter tooling against the emulator', () => {
  it('lists, redrives (new id, redriveCount) and purges an intake dead letter that names no job', async () => {
    const sender = serviceBus.createSender('intake');
    await sender.sendMessages({ messageId: 'no-tenant', body: { model: 'gpt-4o-mini', messages: [] } });
    await sender.close();
    const listed = await eventually(
      () => listDeadLetters(admin, 'intake', { limit: 10 }, operator()),
      (page) => page.deadLetters.some((d) => d.messageId === 'no-tenant'),
    );
    expect(listed.deadLetters.find((d) => d.messageId === 'no-tenant')?.reason).toBe('MissingTenant');

    expect(await redriveDeadLetters(admin, 'intake', { reason: 'MissingTenant' }, operator())).toMatchObject({
      redriven: 1,
    });
    // Back on intake, still without a tenant: dead-lettered again, as the redriven copy.
    const again = await eventually(
      () => listDeadLetters(admin, 'intake', { limit: 10 }, operator()),
      (page) => page.deadLetters.some((d) => d.messageId === 'no-tenant:r1'),
    );
    expect(again.deadLetters.find((d) => d.messageId === 'no-tenant:r1')).toMatchObject({ redriveCount: 1 });

    expect(
      await purgeDeadLetters(admin, 'intake', { confirm: 'intake', selector: { all: true } }, operator()),
    ).toMatchObject({ purged: 1 });
    expect((await listDeadLetters(admin, 'intake', { limit: 10 }, operator())).deadLetters).toEqual([]);
  });
});

describe('daily usage rollups', () => {
  it('roll a finished job into the day, served by GET /api/v1/usage/daily, equal to the live totals', async () => {
    const submitted = await fetch(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': 'rollup-1' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
      }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await eventually(
      async () => (await stack.services.jobs.get(stack.tenantId, id))?.job.status,
      (status) => status === 'succeeded',
    );
    const today = dayOf(Date.now());
    // Rolled up as the timer would once today has ended.
    await rollUpDay(
      {
        rollups: stack.services.usageRollups,
        tenantIds: () => Promise.resolve([stack.tenantId]),
        clock: () => Date.now() + 2 * 86_400_000,
      },
      today,
    );
    const daily = (await (
      await fetch(`${stack.apiUrl}/v1/usage/daily?since=${today}`, { headers: { 'api-key': stack.apiKey } })
    ).json()) as {
      days: Array<{ day: string; rows: Array<{ model: string; status: string; totalTokens: number }> }>;
    };
    const live = (await (
      await fetch(`${stack.apiUrl}/v1/usage?since=${today}T00:00:00Z`, {
        headers: { 'api-key': stack.apiKey },
      })
    ).json()) as { totalTokens: number };
    expect(daily.days.map((d) => d.day)).toEqual([today]);
    const rows = daily.days[0]!.rows;
    expect(rows.find((r) => r.model === 'gpt-4o-mini' && r.status === 'succeeded')).toBeDefined();
    expect(rows.reduce((sum, r) => sum + r.totalTokens, 0)).toBe(live.totalTokens);
  });
});
