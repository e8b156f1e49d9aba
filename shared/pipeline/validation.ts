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
  for (const issue of error.issues.flatMap((issue) => explained(issue))) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key].join('/'), 'unknown field');
    } else {
      add(issue.path.map(String).join('/') || '(body)', issue.message);
    }
  }
  if (omitted > 0) fields.push({ field: '(body)', message: `${omitted} more problems not listed` });
  return fields;
}

/**
 * A value that matches no member of a union (content as a string or as parts) is reported at the field
 * that is wrong inside the one member whose shape it has (`messages/0/content/1/image_url/detail`),
 * rather than as "invalid input" at the union: of the members whose shape it has, the one it misses by the
 * fewest issues.
 */
function explained(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const shaped = issue.errors.filter(
    (branch) => !branch.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  // Of members it has the shape of (a chat or an embeddings job), the one it misses by the fewest issues.
  const fewest = Math.min(...shaped.map((b) => b.length));
  const closest = shaped.filter((b) => b.length === fewest);
  const branch = closest.length === 1 ? closest[0]! : undefined;
  if (!branch) return [issue];
  return branch.flatMap((inner) => explained({ ...inner, path: [...issue.path, ...inner.path] }));
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
