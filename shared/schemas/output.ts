/**
 * Checks model output against the JSON schema the job asked for. The schema was checked and compiled at
 * submit (shared/schemas/check.ts); the validator comes from the same content-hash cache, so this compiles
 * only on a process that did not see the submit, and fails the job if a limit now refuses the schema.
 */
import { checkSchema } from './check.js';
import { EvaluationBudgetExceeded, evaluationBudgetFor, validateWithin } from './compile.js';

export type SchemaCheck = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/** `outputChars`: the size of the output `value` was parsed from, which sets the evaluation budget. */
export function checkAgainstSchema(
  schema: Record<string, unknown>,
  value: unknown,
  outputChars: number,
): SchemaCheck {
  const verdict = checkSchema(schema);
  if (!verdict.ok) {
    const [issue] = verdict.issues;
    const where = issue && issue.path.length > 0 ? `at ${issue.path.join('/')} ` : '';
    return { ok: false, problem: `the requested JSON schema is not valid: ${where}${issue?.message ?? ''}` };
  }
  const { validate } = verdict;
  try {
    if (validateWithin(validate, value, evaluationBudgetFor(outputChars))) return { ok: true };
  } catch (error) {
    if (!(error instanceof EvaluationBudgetExceeded)) throw error;
    return {
      ok: false,
      problem: 'checking it against the schema took more steps than allowed (simplify anyOf/$ref chains)',
    };
  }
  const first = validate.errors?.[0];
  const where = first?.instancePath ? first.instancePath : '(root)';
  return { ok: false, problem: `${where} ${first?.message ?? 'does not match the schema'}` };
}
