/**
 * The submit check on tenant schemas (shared/schemas/check.ts through the zod schemas of
 * shared/jobs/): a 400-ready issue naming the field for every refusal, limits with measured costs, and
 * a bounded cache of compiled validators.
 */
import { describe, expect, it } from 'vitest';
import { toFieldIssues } from '../../../shared/pipeline/validation.js';
import { BatchSubmitSchema, SubmitJobSchema } from '../../../shared/jobs/submission.js';
import {
  SCHEMA_CACHE_BOUNDS,
  checkSchema,
  schemaCacheStats,
  schemaCost,
} from '../../../shared/schemas/check.js';
import { SCHEMA_LIMITS } from '../../../shared/schemas/limits.js';

const FIELD = 'response_format/json_schema/schema';

function jobWith(schema: unknown) {
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
    response_format: { type: 'json_schema', json_schema: { name: 'out', schema } },
  };
}

/** The field issues a submission gets, as the HTTP layer turns them into problem+json `errors`. */
function issuesOf(schema: unknown): Array<{ field: string; message: string }> {
  const parsed = SubmitJobSchema.safeParse(jobWith(schema));
  return parsed.success ? [] : toFieldIssues(parsed.error);
}

describe('the submit check on json_schema', () => {
  it('accepts ordinary schemas, the common patterns among them', () => {
    expect(
      issuesOf({
        type: 'object',
        properties: {
          name: { type: 'string', pattern: '^[a-z]+$' },
          phone: { type: 'string', pattern: '^\\d{3}-\\d{4}$' },
          word: { type: 'string', pattern: '^\\p{L}+$' },
          tags: { type: 'array', items: { $ref: '#/$defs/tag' }, uniqueItems: true },
        },
        required: ['name'],
        additionalProperties: false,
        $defs: { tag: { type: 'string', enum: ['a', 'b'] } },
      }),
    ).toEqual([]);
  });

  it('refuses a pattern RE2 cannot run, naming its field', () => {
    expect(issuesOf({ properties: { x: { type: 'string', pattern: '^(?=a).+$' } } })).toEqual([
      { field: `${FIELD}/properties/x/pattern`, message: expect.stringMatching(/lookahead/) as string },
    ]);
    expect(issuesOf({ patternProperties: { '(a)\\1': true } })[0]?.field).toBe(
      `${FIELD}/patternProperties/(a)\\1`,
    );
  });

  it('refuses a remote $ref and one naming an $id the schema does not declare', () => {
    for (const ref of [
      'https://example.com/s',
      'https://json-schema.org/draft/2020-12/schema',
      'other.json',
    ]) {
      expect(issuesOf({ properties: { x: { $ref: ref } } })).toEqual([
        {
          field: `${FIELD}/properties/x/$ref`,
          message: expect.stringMatching(/refers outside this schema/) as string,
        },
      ]);
    }
    expect(
      issuesOf({
        $id: 'https://example.com/s',
        properties: { x: { $ref: 'https://example.com/s#/$defs/y' } },
        $defs: { y: {} },
      }),
    ).toEqual([]);
    expect(
      issuesOf({ $defs: { y: { enum: [{ type: 'string' }] } }, $ref: '#/$defs/y/enum/0' })[0]?.message,
    ).toMatch(/does not point at a subschema/);
  });

  it('refuses an invalid schema at the field the meta-schema names', () => {
    expect(issuesOf({ properties: { a: { type: 'strin' } } })[0]?.field).toBe(`${FIELD}/properties/a/type`);
    expect(issuesOf({ properties: { a: { minLength: -1 } } })[0]?.field).toBe(
      `${FIELD}/properties/a/minLength`,
    );
    expect(issuesOf({ $schema: 'http://json-schema.org/draft-07/schema#' })[0]?.field).toBe(
      `${FIELD}/$schema`,
    );
  });

  it('refuses schemas over the limits, before walking what it cannot afford to', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(issuesOf({ enum: [deep] })[0]?.message).toMatch(/nests more than 64 levels/);
    expect(issuesOf({ description: 'x'.repeat(SCHEMA_LIMITS.maxSerializedChars) })[0]?.message).toMatch(
      /at most 65536/,
    );
    let nested: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 17; i++) nested = { type: 'object', properties: { a: nested } };
    expect(issuesOf(nested)[0]?.message).toMatch(/nests subschemas 17 deep/);
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, true]));
    expect(issuesOf({ properties: props(1_001) })).toEqual([
      { field: `${FIELD}/properties`, message: 'has 1001 properties; at most 1000' },
    ]);
    const wide = { anyOf: Array.from({ length: 6 }, () => ({ properties: props(900) })) };
    // Over 16 KiB the zod check leaves the walk to the heavy-work pool (accept runs checkSchema there).
    expect(issuesOf(wide)).toEqual([]);
    const verdict = checkSchema(wide);
    expect(verdict.ok ? '' : verdict.issues[0]?.message).toMatch(/5407 subschemas; at most 5000/);
    expect(issuesOf({ enum: Array.from({ length: 1_001 }, (_, i) => i) })[0]?.message).toMatch(
      /1001 enum values/,
    );
    const patterns = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`^p${i}$`, true]));
    expect(issuesOf({ patternProperties: patterns })[0]?.message).toMatch(/101 patterns; at most 100/);
  });

  it('names the field inside a batch item too', () => {
    const parsed = BatchSubmitSchema.safeParse({
      jobs: [
        { job: jobWith({ type: 'object' }) },
        { job: jobWith({ properties: { x: { pattern: '(?<=a)' } } }) },
      ],
    });
    expect(parsed.success).toBe(false);
    if (!parsed.success) {
      expect(toFieldIssues(parsed.error).map((issue) => issue.field)).toEqual([
        `jobs/1/job/${FIELD}/properties/x/pattern`,
      ]);
    }
  });
});

describe('compiled schema cache', () => {
  it('compiles a schema once: submit and postprocess get the same validator, whatever the key order', () => {
    const first = checkSchema({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
    const again = checkSchema({ required: ['n'], properties: { n: { type: 'integer' } }, type: 'object' });
    expect(first.ok && again.ok && first.validate === again.validate).toBe(true);
  });

  it('stays within its bounds however many distinct schemas tenants send', () => {
    for (let i = 0; i < SCHEMA_CACHE_BOUNDS.entries + 100; i++) {
      expect(checkSchema({ type: 'object', properties: { [`p${i}`]: { type: 'string' } } }).ok).toBe(true);
    }
    expect(schemaCacheStats().entries).toBe(SCHEMA_CACHE_BOUNDS.entries);
    const big = 'd'.repeat(60_000);
    for (let i = 0; i < 200; i++) checkSchema({ description: `${i}${big}` });
    expect(schemaCacheStats().serializedChars).toBeLessThanOrEqual(SCHEMA_CACHE_BOUNDS.serializedChars);
    expect(schemaCacheStats().entries).toBeLessThan(SCHEMA_CACHE_BOUNDS.entries);
  });
});

describe('schemaCost', () => {
  it('tells heavy schemas from ordinary ones without compiling them', () => {
    expect(schemaCost({ type: 'object', properties: { a: { type: 'string' } } })).toEqual({
      serializedChars: 54,
      subschemas: 2,
      patterns: 0,
      heavy: false,
    });
    const large = { properties: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`p${i}`, {}])) };
    expect(schemaCost(large)).toMatchObject({ subschemas: 601, heavy: true });
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(schemaCost({ enum: [deep] }).heavy).toBe(true);
  });
});
