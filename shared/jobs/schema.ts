/**
 * Job request and job document schemas. The HTTP API, the intake queue, the OpenAPI document and the
 * stages all derive from these, so a field means the same thing everywhere.
 */
import { z } from 'zod';

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

export const JsonSchemaFormatSchema = z.strictObject({
  type: z.literal('json_schema'),
  json_schema: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().optional(),
  }),
});

export const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  JsonSchemaFormatSchema,
]);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

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
