/**
 * Heavy tenant schemas are checked and applied on the heavy-work pool, not on the event loop every
 * tenant shares: the submit check of the largest allowed schema (~600 ms of compiling) leaves the loop
 * free, its problems still come back as field issues, a tenant over its share gets 429 at the front
 * door (a queue submission waits instead), and postprocess applies the schema off the loop too.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimitedError, ValidationError } from '../../../shared/errors/index.js';
import { schemaCost } from '../../../shared/schemas/check.js';
import { acceptJob } from '../../../shared/pipeline/accept.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { HeavyWorkPool } from '../../../shared/work/heavy-work-pool.js';
import { pooledSchemaWork } from '../../../shared/work/pooled-schema-work.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const pool = new HeavyWorkPool({ threads: 1, perTenant: 1, maxQueue: 16, timeoutMs: 20_000 });
afterAll(() => pool.close());

/** 1,000 properties, four of them with 2,000-instruction patterns: ~600 ms to check and compile (docs/security.md). */
function largestSchema(salt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 995; i++) properties[`${salt}${i}`] = { type: 'string' };
  for (let i = 0; i < 4; i++) properties[`p${i}`] = { type: 'string', pattern: `^[\\s\\S]{1,998}${i}$` };
  return { type: 'object', properties: { ...properties, ...extra } };
}

function submission(schema: Record<string, unknown>) {
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Fill in the form' }],
    response_format: { type: 'json_schema', json_schema: { name: 'form', schema } },
  };
}

function deps() {
  return { ...fakeStage(), schemas: pooledSchemaWork(pool) };
}

describe('heavy schemas at submit', () => {
  it('are checked on the pool while the event loop stays free', async () => {
    const schema = largestSchema('a');
    expect(schemaCost(schema).heavy).toBe(true);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const { created } = await acceptJob(deps(), {
      tenantId: 't1',
      idempotencyKey: 'heavy-1',
      body: submission(schema),
      source: 'http',
      trace: newTrace(),
    });
    delay.disable();
    expect(created).toBe(true);
    // Compiling on this thread stalled it for ~600 ms; on the pool only the hand-over remains.
    expect(delay.max / 1e6).toBeLessThan(250);
  });

  it("report a heavy schema's problems as field issues", async () => {
    const schema = largestSchema('b', { bad: { type: 'string', pattern: '(?<=a)b' } });
    const error = await acceptJob(deps(), {
      tenantId: 't1',
      idempotencyKey: 'heavy-2',
      body: submission(schema),
      source: 'http',
      trace: newTrace(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.field).toBe(
      'response_format/json_schema/schema/properties/bad/pattern',
    );
  });

  it('answer 429 to a tenant over its share over HTTP, and let a queue submission wait for it', async () => {
    const stage = deps();
    const submit = (key: string, salt: string, source: 'http' | 'queue') =>
      acceptJob(stage, {
        tenantId: 'busy',
        idempotencyKey: key,
        body: submission(largestSchema(salt)),
        source,
        trace: newTrace(),
      });
    const first = submit('busy-1', 'c', 'http');
    const second = await submit('busy-2', 'd', 'http').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(RateLimitedError);
    const queued = submit('busy-3', 'e', 'queue');
    expect((await first).created).toBe(true);
    expect((await queued).created).toBe(true);
  });
});

describe('heavy schemas in postprocess', () => {
  it('are applied on the pool: a mismatch still fails the job with its reason', async () => {
    const stage = deps();
    const schema = largestSchema('f');
    const outcome = await stage.schemas.validate('t1', schema, { p0: 'short' }, 20);
    expect(outcome).toEqual({ ok: true, value: { ok: false, problem: expect.stringMatching(/p0/) } });
    const good = await stage.schemas.validate('t1', schema, { p1: `${'x'.repeat(20)}1` }, 30);
    expect(good).toEqual({ ok: true, value: { ok: true } });
  });
});
