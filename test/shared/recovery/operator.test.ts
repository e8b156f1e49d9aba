/**
 * Operators' dead-letter use cases on in-memory fakes: admin role required, selectors, the purge
 * confirmation, dead letters of finished jobs skipped by a redrive, and each action logged with who did it.
 */
import { describe, expect, test } from 'vitest';
import type { Principal } from '../../../shared/auth/principal.js';
import { ForbiddenError, ValidationError } from '../../../shared/errors/index.js';
import { acceptJob } from '../../../shared/pipeline/accept.js';
import {
  DeadLetterSelectorSchema,
  listDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
} from '../../../shared/recovery/operator.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { MemoryDeadLetters } from '../../fakes/memory-dead-letters.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'], subject: 'oid-ops-1' };
const producer: Principal = { tenantId: 'team-a', kind: 'apiKey', roles: ['jobs'], keyId: 'k1' };
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };

async function setup() {
  const stage = fakeStage();
  const { job: queued } = await acceptJob(stage, {
    tenantId: 'team-a',
    idempotencyKey: 'q',
    body,
    source: 'http',
    trace: newTrace(),
  });
  const deadLetters = new MemoryDeadLetters();
  deadLetters.add('invoke', { messageId: 'm1', jobId: queued.id, tenantId: 'team-a', reason: 'Poison' });
  deadLetters.add('invoke', { messageId: 'm2', jobId: 'job_finished', tenantId: 'team-b', reason: 'Poison' });
  deadLetters.add('invoke', { messageId: 'm3', reason: 'Other', state: 'deferred' });
  return { deps: { deadLetters, jobs: stage.jobs, logger: stage.logger }, deadLetters, stage };
}

describe('dead-letter tooling', () => {
  test('every action needs the platform admin role', async () => {
    const { deps } = await setup();
    await expect(listDeadLetters(producer, 'invoke', { limit: 10 }, deps)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(redriveDeadLetters(producer, 'invoke', { all: true }, deps)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(
      purgeDeadLetters(producer, 'invoke', { confirm: 'invoke', selector: { all: true } }, deps),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  test('lists active and deferred dead letters, paged', async () => {
    const { deps } = await setup();
    const first = await listDeadLetters(admin, 'invoke', { limit: 2 }, deps);
    expect(first.deadLetters.map((d) => d.messageId)).toEqual(['m1', 'm2']);
    const second = await listDeadLetters(
      admin,
      'invoke',
      { limit: 2, fromSequenceNumber: first.next! },
      deps,
    );
    expect(second.deadLetters.map((d) => [d.messageId, d.state])).toEqual([['m3', 'deferred']]);
  });

  test('redrive by reason sends back the queued job’s message, skips the finished job’s, logs the operator', async () => {
    const { deps, deadLetters, stage } = await setup();
    const result = await redriveDeadLetters(admin, 'invoke', { reason: 'Poison' }, deps);
    expect(result).toEqual({ redriven: 1, purged: 0, skipped: 1, more: false });
    expect(deadLetters.redriven.map((r) => r.messageId)).toEqual(['m1:r1']);
    expect(deadLetters.on('invoke').map((d) => d.messageId)).toEqual(['m2', 'm3']);
    expect(stage.logger.lines.at(-1)).toMatchObject({
      event: 'dead_letters.redriven',
      operator: 'oid-ops-1',
      operatorTenant: 'platform-ops',
      queue: 'invoke',
      reason: 'Poison',
      redriven: 1,
    });
    // Repeating it changes nothing: the redriven one is gone, the skipped one is skipped again.
    expect(await redriveDeadLetters(admin, 'invoke', { reason: 'Poison' }, deps)).toMatchObject({
      redriven: 0,
    });
  });

  test('redrive by sequence number reaches a deferred dead letter', async () => {
    const { deps, deadLetters } = await setup();
    expect(await redriveDeadLetters(admin, 'invoke', { sequenceNumbers: ['3'] }, deps)).toMatchObject({
      redriven: 1,
    });
    expect(deadLetters.redriven.map((r) => r.messageId)).toEqual(['m3:r1']);
  });

  test('purge needs the queue name as confirmation, then removes what the selector takes', async () => {
    const { deps, deadLetters } = await setup();
    const refused = await purgeDeadLetters(
      admin,
      'invoke',
      { confirm: 'persist', selector: { all: true } },
      deps,
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues[0]?.field).toBe('confirm');
    expect(deadLetters.on('invoke')).toHaveLength(3);
    expect(
      await purgeDeadLetters(admin, 'invoke', { confirm: 'invoke', selector: { tenantId: 'team-b' } }, deps),
    ).toEqual({ redriven: 0, purged: 1, skipped: 0, more: false });
    expect(deadLetters.on('invoke').map((d) => d.messageId)).toEqual(['m1', 'm3']);
  });

  test('a selector must name something', () => {
    expect(DeadLetterSelectorSchema.safeParse({}).success).toBe(false);
    expect(DeadLetterSelectorSchema.safeParse({ all: false }).success).toBe(false);
    expect(DeadLetterSelectorSchema.safeParse({ sequenceNumbers: ['12a'] }).success).toBe(false);
    expect(DeadLetterSelectorSchema.safeParse({ all: true, extra: 1 }).success).toBe(false);
  });
});
