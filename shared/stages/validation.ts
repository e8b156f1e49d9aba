/**
 * zod issues -> our ValidationError with field paths callers can act on (`messages/0/role`).
 */
import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/index.js';

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join('/'), message: 'unknown field' }));
    }
    return [{ field: issue.path.map(String).join('/') || '(body)', message: issue.message }];
  });
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = toFieldIssues(parsed.error);
  const first = issues[0];
  throw new ValidationError(
    first ? `${what} is invalid: ${first.field}: ${first.message}` : `${what} is invalid`,
    issues,
  );
}
