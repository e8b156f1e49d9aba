/**
 * Function tools offered to the model and how it may use them (`tool_choice`, `parallel_tool_calls`).
 * A tool's `parameters` is a tenant JSON schema, checked at submit exactly as a `json_schema` response
 * format is (shared/jobs/json-schema-field.ts): the same limits bound a hostile schema either way.
 */
import { z } from 'zod';
import { FunctionNameSchema } from './chat-messages.js';
import { SchemaObjectSchema, TenantJsonSchemaSchema } from './json-schema-field.js';

/** OpenAI's limit on tools per request. */
export const MAX_TOOLS = 128;

const functionTool = (parameters: typeof SchemaObjectSchema) =>
  z.strictObject({
    type: z.literal('function'),
    function: z.strictObject({
      name: FunctionNameSchema,
      description: z.string().max(8192).optional(),
      /** JSON Schema of the arguments object; absent means the function takes none. */
      parameters: parameters.optional(),
      strict: z.boolean().nullable().optional(),
    }),
  });

export const ToolSchema = functionTool(TenantJsonSchemaSchema);
/** As carried between stages: checked once at submit (see AcceptedResponseFormatSchema). */
export const AcceptedToolSchema = functionTool(SchemaObjectSchema);
export type Tool = z.infer<typeof ToolSchema>;

export const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: FunctionNameSchema }) }),
]);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;
