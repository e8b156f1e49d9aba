import { describe, expect, it } from 'vitest';
import { EMBEDDING_LIMITS } from '../../../shared/jobs/embeddings.js';
import { BatchItemSchema, submitSchemaFor } from '../../../shared/jobs/submission.js';
import { toFieldIssues } from '../../../shared/pipeline/validation.js';

function fieldsOf(body: Record<string, unknown>): string[] {
  const parsed = submitSchemaFor(body).safeParse(body);
  return parsed.success ? [] : toFieldIssues(parsed.error).map((issue) => issue.field);
}

describe('embeddings jobs', () => {
  it('are told from chat jobs by input, and take OpenAI fields plus the job options', () => {
    const body = {
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: 256,
      encoding_format: 'float',
      user: 'u',
      metadata: { team: 'x' },
      expires_after: 600,
    };
    expect(fieldsOf(body)).toEqual([]);
    expect(fieldsOf({ model: 'm', input: 'one string' })).toEqual([]);
  });

  it.each([
    [{ input: [] }, 'input'],
    [{ input: '' }, 'input'],
    [{ input: ['ok', ''] }, 'input/1'],
    [{ input: [[1, 2]] }, 'input/0'],
    [{ input: 'x', dimensions: 0 }, 'dimensions'],
    [{ input: 'x', dimensions: 4096 }, 'dimensions'],
    [{ input: 'x', encoding_format: 'base64' }, 'encoding_format'],
    [{ input: 'x', temperature: 1 }, 'temperature'],
    [{ input: Array.from({ length: 22 }, () => 'x') }, 'input'],
    [{ input: Array.from({ length: 257 }, () => 'x'), dimensions: 256 }, 'input'],
    [{ input: Array.from({ length: EMBEDDING_LIMITS.maxInputs + 1 }, () => 'x'), dimensions: 1 }, 'input'],
  ])('refuses %j at its field', (extra, field) => {
    expect(fieldsOf({ model: 'text-embedding-3-small', ...extra })).toContain(field);
  });

  it('a body with both messages and input is a chat job with an unknown field', () => {
    expect(fieldsOf({ model: 'm', messages: [{ role: 'user', content: 'hi' }], input: 'x' })).toEqual([
      'input',
    ]);
  });

  it('says how many values a job asked for', () => {
    const parsed = submitSchemaFor({ model: 'm', input: Array.from({ length: 22 }, () => 'x') }).safeParse({
      model: 'm',
      input: Array.from({ length: 22 }, () => 'x'),
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(
      '22 inputs x 3072 dimensions is 67584 values; at most 65536 per job (set dimensions, or split the inputs over jobs)',
    );
  });

  it('a batch item of either kind names the field inside it', () => {
    const issues = (job: unknown) => {
      const parsed = BatchItemSchema.safeParse({ job });
      return parsed.success ? [] : toFieldIssues(parsed.error).map((issue) => issue.field);
    };
    expect(issues({ model: 'm', input: 'x', dimensions: 0 })).toEqual(['job/dimensions']);
    expect(issues({ model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 9 })).toEqual([
      'job/temperature',
    ]);
  });
});
