/**
 * toFieldIssues caps what goes back (found by test/security/fuzz-routes.test.ts: a body of 20,000 unknown
 * keys came back as an 889 KB problem listing every key, built on the event loop).
 */
import { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { SubmitJobSchema } from '../../../shared/jobs/submission.js';
import { MAX_FIELD_ISSUES, parseOrThrow, toFieldIssues } from '../../../shared/pipeline/validation.js';
import { ValidationError } from '../../../shared/errors/index.js';

const manyKeys = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));

describe('toFieldIssues', () => {
  test('20,000 unknown keys: the first issues and a count of the rest', () => {
    const parsed = SubmitJobSchema.safeParse(manyKeys);
    expect(parsed.success).toBe(false);
    const issues = toFieldIssues(parsed.error!);
    expect(issues).toHaveLength(MAX_FIELD_ISSUES + 1);
    expect(issues.at(-1)?.message).toMatch(/^\d+ more problems not listed$/);
    expect(JSON.stringify(issues).length).toBeLessThan(4_096);
  });

  test('a few issues are all listed, each with its path', () => {
    const schema = z.strictObject({ a: z.string(), b: z.object({ c: z.number() }) });
    const parsed = schema.safeParse({ a: 1, b: { c: 'x' }, extra: true });
    expect(toFieldIssues(parsed.error!)).toEqual([
      { field: 'a', message: expect.any(String) as string },
      { field: 'b/c', message: expect.any(String) as string },
      { field: 'extra', message: 'unknown field' },
    ]);
  });

  test('parseOrThrow names the first field in its message', () => {
    expect(() => parseOrThrow(SubmitJobSchema, manyKeys, 'The job')).toThrow(ValidationError);
  });
});
