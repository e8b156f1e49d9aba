/**
 * Job request and job document schemas. The HTTP API, the intake queue, the OpenAPI document and the
 * stages all derive from these, so a field means the same thing everywhere.
 */
import { z } from 'zod';
import { AcceptedChatMessageSchema, ChatMessageSchema } from './chat-messages.js';
import { ModelAliasSchema } from './model-alias.js';
import { SchemaObjectSchema, TenantJsonSchemaSchema } from './json-schema-field.js';
import { checkChatRequest } from './request-checks.js';
import { AcceptedToolSchema, MAX_TOOLS, ToolChoiceSchema, ToolSchema } from './tools.js';

/** OpenAI metadata rule: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const MetadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, { message: 'at most 16 metadata pairs' })
  .describe('Up to 16 key/value pairs echoed back on the job and its webhook events.');

export { ChatMessageSchema, type ChatMessage } from './chat-messages.js';

const jsonSchemaFormat = (schema: typeof SchemaObjectSchema) =>
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
      description: z.string().optional(),
      schema,
      strict: z.boolean().optional(),
    }),
  });
export const JsonSchemaFormatSchema = jsonSchemaFormat(TenantJsonSchemaSchema);

export const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  JsonSchemaFormatSchema,
]);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

/**
 * The same shape as carried between stages, without the submit check: it passed at submit, and a schema
 * that a later limit refuses should fail its job in postprocess (which checks it again), not make the
 * stage message poison.
 */
export const AcceptedResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  jsonSchemaFormat(SchemaObjectSchema),
]);

/**
 * An OpenAI chat-completions shaped request; `model` is a platform model alias routed to deployments.
 * Names and limits are OpenAI's. Of the two completion limits the deployment gets the one its model
 * takes (shared/model/endpoint.ts): reasoning models (o-series, gpt-5) take `max_completion_tokens`.
 */
const chatRequestShape = {
  model: ModelAliasSchema,
  messages: z.array(ChatMessageSchema).min(1).max(256),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().min(1).max(128_000).optional(),
  max_completion_tokens: z.number().int().min(1).max(128_000).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  /** Token id (as a string) -> bias from -100 (ban) to 100 (force). */
  logit_bias: z
    .record(z.string().regex(/^\d{1,7}$/, 'a token id'), z.number().min(-100).max(100))
    .refine((value) => Object.keys(value).length <= 300, { message: 'at most 300 tokens' })
    .optional(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).optional(),
  /** The end user, for the provider's abuse monitoring. */
  user: z.string().max(256).optional(),
  response_format: ResponseFormatSchema.optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
  tools: z.array(ToolSchema).min(1).max(MAX_TOOLS).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
};

export const ChatRequestSchema = z.strictObject(chatRequestShape).superRefine(checkChatRequest);
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** ChatRequestSchema as carried between stages (see AcceptedResponseFormatSchema). */
export const AcceptedChatRequestSchema = z.strictObject({
  ...chatRequestShape,
  messages: z.array(AcceptedChatMessageSchema).min(1).max(256),
  response_format: AcceptedResponseFormatSchema.optional(),
  tools: z.array(AcceptedToolSchema).min(1).max(MAX_TOOLS).optional(),
});
