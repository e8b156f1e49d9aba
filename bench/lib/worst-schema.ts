/**
 * The heaviest structured-output job a tenant may submit (shared/schemas/limits.ts): 1,000 properties
 * in one object, four patterns of ~2,000 RE2 instructions (the per-pattern program limit; together
 * under the total), and the classic catastrophic pattern `^(a+)+$` with a `const` the simulator answers
 * with, `a…a!`, the input on which a backtracking engine takes exponential time. Checking and compiling
 * it takes ~600 ms (docs/security.md), which is why it runs on the heavy-work pool. The job is expected
 * to fail with `output_schema_mismatch`, in linear time.
 */
const PLAIN_PROPERTIES = 995;
const RUN = 64;

export function worstSchemaRequest(salt = ''): string {
  const properties: Record<string, unknown> = {
    catastrophic: { type: 'string', pattern: '^(a+)+$', const: `${'a'.repeat(RUN)}!` },
  };
  for (let i = 0; i < 4; i += 1) {
    properties[`program${i}`] = { type: 'string', pattern: `^[\\s\\S]{1,998}${i}$` };
  }
  for (let i = 0; i < PLAIN_PROPERTIES; i += 1) properties[`${salt}p${i}`] = { type: 'string' };
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Fill in the form.' }],
    max_tokens: 4096,
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'worst', schema: { type: 'object', properties } },
    },
  });
}
