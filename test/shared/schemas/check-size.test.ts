/**
 * A schema over the size limit is refused for its size without walking it (found by
 * test/security/fuzz-routes.test.ts: a 123 KB schema of nested anyOf held the event loop ~80 ms in the
 * walk before being refused for its size anyway).
 */
import { describe, expect, test } from 'vitest';
import { schemaCost, submitIssues } from '../../../shared/schemas/check.js';
import { SubmitJobSchema } from '../../../shared/jobs/submission.js';

/** The fuzz input: `{ anyOf: [s, s] }` twelve levels deep around `{ type: 'string' }`, 122,867 characters. */
function nestedAnyOf(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i += 1) schema = { anyOf: [schema, schema] };
  return schema;
}

describe('a schema over maxSerializedChars', () => {
  test('one issue naming its size, and no walk (no subschema count)', () => {
    const schema = nestedAnyOf(12);
    expect(submitIssues(schema)).toEqual([
      { path: [], message: 'is 122867 characters as JSON; at most 65536' },
    ]);
    const cost = schemaCost(schema);
    expect(cost.heavy).toBe(true);
    expect(cost.subschemas).toBeUndefined();
  });

  test('through the submit schema: a 400-worthy issue at the schema path', () => {
    const parsed = SubmitJobSchema.safeParse({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: nestedAnyOf(12) } },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('/'))).toEqual(['response_format/json_schema/schema']);
  });

  test('a schema under the limit is still walked and counted', () => {
    expect(schemaCost(nestedAnyOf(3)).subschemas).toBeGreaterThan(0);
  });
});

describe('a heavy schema under the limits', () => {
  test('is left to the pool at submit: its 60 KB walk does not run on the event loop', () => {
    // Eleven levels of nested anyOf, 61,561 characters: walking it took ~45 ms on the loop.
    const schema = nestedAnyOf(11);
    expect(JSON.stringify(schema).length).toBeLessThan(64 * 1024);
    expect(submitIssues(schema)).toEqual([]);
    expect(schemaCost(schema).heavy).toBe(true);
    expect(schemaCost(schema).subschemas).toBeUndefined();
  });
});
