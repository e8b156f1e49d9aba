/**
 * zod issues -> our ValidationError with field paths callers can act on (`messages/0/role`).
 */
import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/index.js';

/**
 * At most this many issues go back: enough to fix a request, and a body of 20,000 unknown keys no longer
 * becomes a 900 KB problem built on the event loop (found by test/security/fuzz-routes.test.ts).
 */
export const MAX_FIELD_ISSUES = 20;

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  const fields: FieldIssue[] = [];
  let omitted = 0;
  const add = (field: string, message: string) => {
    if (fields.length < MAX_FIELD_ISSUES) fields.push({ field, message });
    else omitted += 1;
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key].join('/'), 'unknown field');
    } else {
      add(issue.path.map(String).join('/') || '(body)', issue.message);
    }
  }
  if (omitted > 0) fields.push({ field: '(body)', message: `${omitted} more problems not listed` });
  return fields;
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
