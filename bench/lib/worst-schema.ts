/**
 * The heaviest structured-output job a tenant may submit: a `json_schema` at the schema limits whose
 * every property carries the classic catastrophic pattern `^(a+)+$` and a `const` the simulator answers
 * with, `a…a!`, the input on which a backtracking engine takes exponential time. The job is expected
 * to fail with `output_schema_mismatch`, in linear time.
 */
const PROPERTIES = 100;
const RUN = 64;

export function worstSchemaRequest(): string {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < PROPERTIES; i += 1) {
    properties[`p${i}`] = { type: 'string', pattern: '^(a+)+$', const: `${'a'.repeat(RUN)}!` };
  }
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Fill in the form.' }],
    max_tokens: 4096,
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'worst',
        schema: {
          type: 'object',
          properties,
          required: Object.keys(properties),
          additionalProperties: false,
        },
      },
    },
  });
}
