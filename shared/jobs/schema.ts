/**
 * Job request and job document schemas. The HTTP API, the intake queue, the OpenAPI document and the
 * stages all derive from these, so a field means the same thing everywhere.
 */
import { z } from 'zod';
import { submitIssues } from '../schemas/check.js';

/** OpenAI metadata rule: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const MetadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, { message: 'at most 16 metadata pairs' })
  .describe('Up to 16 key/value pairs echoed back on the job and its webhook events.');

const TextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });

export const ChatMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.literal('system'),
    content: z.string().min(1),
    name: z.string().max(64).optional(),
  }),
  z.strictObject({
    role: z.literal('developer'),
    content: z.string().min(1),
    name: z.string().max(64).optional(),
  }),
  z.strictObject({
    role: z.literal('user'),
    content: z.union([z.string().min(1), z.array(TextPartSchema).min(1)]),
    name: z.string().max(64).optional(),
  }),
  z.strictObject({ role: z.literal('assistant'), content: z.string(), name: z.string().max(64).optional() }),
]);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

const SchemaObjectSchema = z.record(z.string(), z.unknown());

/**
 * A tenant's JSON schema, checked where it is submitted (HTTP, batch, intake queue) before any spend:
 * limits, patterns that must run on RE2, references that must stay inside the schema, the 2020-12
 * meta-schema. Each problem is an issue at its path (`response_format/json_schema/schema/properties/x/pattern`).
 * An ordinary schema is checked here in a few ms. A heavy one (schemaCost) could take ~700 ms: here only
 * what is cheap is checked, and the accept use case runs the rest on the heavy-work pool
 * (shared/pipeline/submitted-schema.ts).
 */
const TenantJsonSchemaSchema = SchemaObjectSchema.superRefine((schema, ctx) => {
  for (const issue of submitIssues(schema)) {
    ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  }
});

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

/** An OpenAI chat-completions shaped request; `model` is a platform model alias routed to deployments. */
export const ChatRequestSchema = z.strictObject({
  model: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, ., _ and -'),
  messages: z.array(ChatMessageSchema).min(1).max(256),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().min(1).max(128_000).optional(),
  response_format: ResponseFormatSchema.optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** ChatRequestSchema as carried between stages (see AcceptedResponseFormatSchema). */
export const AcceptedChatRequestSchema = ChatRequestSchema.extend({
  response_format: AcceptedResponseFormatSchema.optional(),
});
