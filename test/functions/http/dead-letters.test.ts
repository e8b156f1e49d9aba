/**
 * The operators' dead-letter routes through the HTTP API, on the local stack, against the Service Bus
 * emulator's real dead-letter sub-queue: stage messages dead-lettered for real (a poison message the
 * invoke trigger refuses, and one whose handler throws until maxDeliveryCount), then listed (paged,
 * peek only), redriven (one, by reason, by tenant; new id; repeating changes nothing), purged (refused
 * without the confirmation), each action logged with the operator's identity. Admin role: an Entra
 * token with Platform.Admin, from a local JWKS (as docs/security.md configures Entra ID).
 */
import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/telemetry/logger.js';
import { loadQueueDefinitions } from '../../../local/servicebus/definitions.js';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import {
  ADMIN_APP,
  CLIENT_ID,
  TID,
  newSigningKey,
  signToken,
  startJwksServer,
  type JwksServer,
} from '../../shared/auth/jwks-server.js';
import { strandedJob } from '../../fakes/stranded-job.js';

const OPERATOR = 'oid-operator-7';
const lines: Array<Record<string, unknown>> = [];
let stack: LocalStack;
let jwks: JwksServer;
let serviceBus: ServiceBusClient;
let adminToken: string;

beforeAll(async () => {
  const signing = await newSigningKey('dead-letters');
  jwks = await startJwksServer([signing]);
  stack = await startLocalStack({
    port: 0,
    // Two deliveries, then the broker dead-letters (MaxDeliveryCountExceeded).
    serviceBusQueues: loadQueueDefinitions().map((queue) => ({ ...queue, maxDeliveryCount: 2 })),
    logger: createLogger({
      level: 'warn',
      sink: (_level, line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    }),
    env: {
      ENTRA_TENANT_ID: TID,
      ENTRA_AUDIENCE: CLIENT_ID,
      ENTRA_JWKS_URL: jwks.url,
      ENTRA_TENANT_MAP: JSON.stringify([{ tid: TID, appId: ADMIN_APP, tenantId: 'platform-ops' }]),
    },
  });
  await stack.addTenant('team-b');
  serviceBus = new ServiceBusClient(stack.serviceBus.connectionString);
  adminToken = await signToken(signing, { azp: ADMIN_APP, roles: ['Platform.Admin'], oid: OPERATOR });
}, 60_000);

afterAll(async () => {
  await serviceBus?.close();
  await stack?.close();
  await jwks?.close();
});

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}/v1/admin/dead-letters/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
  });
const post = async (path: string, body: unknown) => {
  const response = await admin(path, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

interface Listed {
  sequenceNumber: string;
  messageId: string;
  reason?: string;
  description?: string;
  jobId?: string;
  tenantId?: string;
  enqueuedAt?: string;
  deliveryCount: number;
  redriveCount: number;
}

async function listAll(): Promise<Listed[]> {
  const all: Listed[] = [];
  let from: string | undefined;
  do {
    const response = await admin(`invoke?limit=2${from ? `&from=${from}` : ''}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { deadLetters: Listed[]; next?: string };
    all.push(...page.deadLetters);
    from = page.next;
  } while (from);
  return all;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const queuedJob = (tenantId: string, id: string) =>
  strandedJob(stack.services.jobs, { id, tenantId, deadlineAt: Date.now() + 3_600_000 });

describe('dead-letter tooling over the HTTP API', () => {
  it('lists, redrives and purges real dead letters, each action logged with the operator', async () => {
    // The reconcile timer runs on the minute and would settle these dead letters itself: start just after.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 25_000) await new Promise((resolve) => setTimeout(resolve, 61_000 - intoMinute));
    const poisonA = await queuedJob(stack.tenantId, 'job-poison-a');
    const poisonB = await queuedJob('team-b', 'job-poison-b');
    const throwing = await queuedJob(stack.tenantId, 'job-throws');
    const sender = serviceBus.createSender('invoke');
    // Not invoke messages: the trigger dead-letters them at once (InvalidStageMessage).
    for (const job of [poisonA, poisonB]) {
      await sender.sendMessages({
        messageId: `${job.id}:invoke:0`,
        body: { kind: 'invoke', jobId: job.id },
        applicationProperties: { jobId: job.id, tenantId: job.tenantId },
      });
    }
    // A claim check whose payload is missing: the handler throws, twice, and the broker dead-letters it.
    await sender.sendMessages({
      messageId: `${throwing.id}:invoke:0`,
      body: { claimCheck: { id: 'payload-that-is-not-there', bytes: 10 } },
      applicationProperties: { jobId: throwing.id, tenantId: throwing.tenantId },
    });
    await sender.close();

    const listed = await until(listAll, (all) => all.length === 3);
    expect(listed.map((d) => d.jobId).sort()).toEqual(['job-poison-a', 'job-poison-b', 'job-throws']);
    const byJob = new Map(listed.map((d) => [d.jobId, d]));
    expect(byJob.get('job-poison-b')).toMatchObject({
      reason: 'InvalidStageMessage',
      tenantId: 'team-b',
      deliveryCount: 0,
    });
    expect(byJob.get('job-poison-b')?.description).toContain('does not match its schema');
    expect(byJob.get('job-throws')).toMatchObject({
      reason: 'MaxDeliveryCountExceeded',
      tenantId: stack.tenantId,
      deliveryCount: 2,
    });
    for (const deadLetter of listed) expect(Date.parse(deadLetter.enqueuedAt ?? '')).not.toBeNaN();
    // Peek only: listing again shows the same, nothing was locked or taken.
    expect((await listAll()).map((d) => d.sequenceNumber)).toEqual(listed.map((d) => d.sequenceNumber));

    // Only the platform admin role: a tenant's API key is refused.
    const asTenant = await fetch(`${stack.apiUrl}/v1/admin/dead-letters/invoke`, {
      headers: { 'api-key': stack.apiKey },
    });
    expect(asTenant.status).toBe(403);

    // One message by sequence number: back on invoke under a new id, dead-lettered again there.
    const one = byJob.get('job-poison-a')!;
    expect(await post('invoke/redrive', { sequenceNumbers: [one.sequenceNumber] })).toEqual({
      status: 200,
      body: { redriven: 1, purged: 0, skipped: 0, more: false },
    });
    const again = await until(listAll, (all) => all.some((d) => d.messageId === `${one.messageId}:r1`));
    expect(again.find((d) => d.messageId === `${one.messageId}:r1`)).toMatchObject({
      jobId: 'job-poison-a',
      redriveCount: 1,
    });
    // Repeated: that dead letter is gone, nothing else is taken.
    expect((await post('invoke/redrive', { sequenceNumbers: [one.sequenceNumber] })).body).toMatchObject({
      redriven: 0,
    });

    // By tenant: only team-b's.
    expect((await post('invoke/redrive', { tenantId: 'team-b' })).body).toMatchObject({ redriven: 1 });
    await until(listAll, (all) => all.some((d) => d.messageId === 'job-poison-b:invoke:0:r1'));

    // By reason, once its job has ended: skipped (running it again could only spend tokens), kept.
    await stack.services.jobs.completeIfOpen(stack.tenantId, throwing.id, {
      status: 'failed',
      updatedAt: new Date().toISOString(),
      error: { code: 'cancelled_by_test', message: 'ended for the test' },
    } as never);
    expect((await post('invoke/redrive', { reason: 'MaxDeliveryCountExceeded' })).body).toEqual({
      redriven: 0,
      purged: 0,
      skipped: 1,
      more: false,
    });

    // Purge: refused without the queue's name as confirmation, then done.
    const refused = await admin('invoke/purge', {
      method: 'POST',
      body: JSON.stringify({ selector: { all: true } }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const wrong = await post('invoke/purge', { confirm: 'persist', selector: { all: true } });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('confirm');
    expect((await listAll()).length).toBe(3);
    expect(await post('invoke/purge', { confirm: 'invoke', selector: { all: true } })).toEqual({
      status: 200,
      body: { redriven: 0, purged: 3, skipped: 0, more: false },
    });
    expect(await listAll()).toEqual([]);

    const actions = lines.filter((l) => String(l.event).startsWith('dead_letters.'));
    expect(actions.map((l) => [l.event, l.redriven, l.purged, l.skipped])).toEqual([
      ['dead_letters.redriven', 1, 0, 0],
      ['dead_letters.redriven', 0, 0, 0],
      ['dead_letters.redriven', 1, 0, 0],
      ['dead_letters.redriven', 0, 0, 1],
      ['dead_letters.purged', 0, 3, 0],
    ]);
    for (const action of actions) {
      expect(action).toMatchObject({ operator: OPERATOR, operatorTenant: 'platform-ops', queue: 'invoke' });
    }
    expect(actions[2]).toMatchObject({ selectedTenant: 'team-b' });
    expect(actions[3]).toMatchObject({ reason: 'MaxDeliveryCountExceeded' });
  }, 120_000);
});
