/**
 * Issue 16 findings in the postprocess stage's schema check (shared/schemas/output.ts, with
 * shared/schemas/): each input is the one named on the issue, and each test failed before the fix.
 */
import { describe, expect, it } from 'vitest';
import type { PersistMessage, PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import { fakeStage, type FakeStage } from '../../fakes/stage-deps.js';

let sequence = 0;

/** A postprocess message for a job of `tenantId` that asked for `schema`, as invoke would send it. */
function messageFor(tenantId: string, schema: Record<string, unknown>, content: string): PostprocessMessage {
  sequence += 1;
  return {
    kind: 'postprocess',
    jobId: `job_${String(sequence).padStart(32, '0')}`,
    tenantId,
    metadata: {},
    traceId: '0af7651916cd43dd8448eb211c80319c',
    timings: { acceptedAt: 0 },
    deadlineAt: Number.MAX_SAFE_INTEGER,
    attempts: 1,
    responseFormat: { type: 'json_schema', json_schema: { name: 'out', schema } },
    completion: {
      content,
      refusal: null,
      finishReason: 'stop',
      usage: { promptTokens: 10, completionTokens: 5, cachedTokens: 0 },
      deployment: 'gpt-4o-mini-eastus',
      model: 'gpt-4o-mini',
      responseId: 'chatcmpl-1',
    },
  };
}

async function outcomeOf(deps: FakeStage, message: PostprocessMessage): Promise<PersistMessage['outcome']> {
  await postprocessCompletion(deps, message);
  const sent = deps.publisher.on('persist').at(-1)?.body as PersistMessage | undefined;
  if (!sent || sent.jobId !== message.jobId) throw new Error('postprocess sent no persist message');
  return sent.outcome;
}

const failure = (outcome: PersistMessage['outcome']) =>
  outcome.status === 'failed' ? { code: outcome.error.code, message: outcome.error.message } : undefined;

describe('postprocess: tenant schemas', () => {
  it('checks a `pattern` like ^(a+)+$ in linear time (it took 1.1 s at 25 characters, x4 per two more)', async () => {
    const deps = fakeStage();
    const schema = { type: 'object', properties: { x: { type: 'string', pattern: '^(a+)+$' } } };
    // Warm the caches (ajv, re2js, the compiled schema) so the timing is the check alone.
    await outcomeOf(deps, messageFor('t1', schema, '{"x":"aaa"}'));
    // 25, 27 and 29 characters: 3.7 s together on V8's backtracking engine (dev box), x4 per two more.
    const started = performance.now();
    for (const length of [25, 27, 29]) {
      const outcome = await outcomeOf(
        deps,
        messageFor('t1', schema, JSON.stringify({ x: `${'a'.repeat(length - 1)}!` })),
      );
      expect(failure(outcome)).toMatchObject({ code: 'output_schema_mismatch' });
      expect(failure(outcome)?.message).toContain('/x must match pattern');
    }
    expect(performance.now() - started).toBeLessThan(50);
    const long = await outcomeOf(
      deps,
      messageFor('t1', schema, JSON.stringify({ x: `${'a'.repeat(200_000)}!` })),
    );
    expect(failure(long)).toMatchObject({ code: 'output_schema_mismatch' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('validates two tenants that use the same $id each against their own schema', async () => {
    const deps = fakeStage();
    const id = 'https://example.com/s';
    const schemaA = { $id: id, type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const schemaB = { $id: id, type: 'object', properties: { b: { type: 'number' } }, required: ['b'] };
    const a = await outcomeOf(deps, messageFor('tenant-a', schemaA, '{"a":"x"}'));
    const b = await outcomeOf(deps, messageFor('tenant-b', schemaB, '{"b":1}'));
    const bWithAsShape = await outcomeOf(deps, messageFor('tenant-b', schemaB, '{"a":"x"}'));
    const aWithBsShape = await outcomeOf(deps, messageFor('tenant-a', schemaA, '{"b":1}'));
    expect(a.status).toBe('succeeded');
    expect(b.status).toBe('succeeded');
    expect(failure(bWithAsShape)).toMatchObject({ code: 'output_schema_mismatch' });
    expect(failure(bWithAsShape)?.message).toContain("must have required property 'b'");
    expect(failure(aWithBsShape)?.message).toContain("must have required property 'a'");
  });

  it("never resolves tenant B's $ref to tenant A's schema with that $id", async () => {
    const deps = fakeStage();
    const schemaA = { $id: 'https://example.com/t', type: 'object', properties: { a: { type: 'string' } } };
    expect((await outcomeOf(deps, messageFor('tenant-a', schemaA, '{"a":"x"}'))).status).toBe('succeeded');
    // Refused at submit since this fix; a job accepted before it still must not reach A's schema.
    const outcome = await outcomeOf(
      deps,
      messageFor('tenant-b', { $ref: 'https://example.com/t' }, '{"a":"x"}'),
    );
    expect(failure(outcome)).toMatchObject({ code: 'output_schema_mismatch' });
    expect(failure(outcome)?.message).toContain(
      'the requested JSON schema is not valid: at $ref refers outside',
    );
  });

  it('checks uniqueItems in linear time (ajv compares objects pairwise)', async () => {
    const deps = fakeStage();
    const schema = { type: 'array', uniqueItems: true, items: { type: 'object' } };
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i }));
    await outcomeOf(deps, messageFor('t1', schema, '[]'));
    const started = performance.now();
    const distinct = await outcomeOf(deps, messageFor('t1', schema, JSON.stringify(items)));
    const repeated = await outcomeOf(deps, messageFor('t1', schema, JSON.stringify([...items, { i: 7 }])));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(distinct.status).toBe('succeeded');
    expect(failure(repeated)?.message).toContain('uniqueItems');
  });

  it('stops a schema whose anyOf/$ref chain evaluates 2^n subschemas against one value', async () => {
    const deps = fakeStage();
    const $defs: Record<string, unknown> = { d30: { type: 'number' } };
    for (let i = 0; i < 30; i++) {
      $defs[`d${i}`] = {
        anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}`, minLength: 0 }],
      };
    }
    const schema = { $defs, $ref: '#/$defs/d0' };
    await outcomeOf(deps, messageFor('t1', schema, '1'));
    const started = performance.now();
    // 2^30 evaluations of "x" before; 20 levels took 4.6 s.
    const outcome = await outcomeOf(deps, messageFor('t1', schema, '"x"'));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(failure(outcome)?.message).toContain('took more steps than allowed');
  });
});
