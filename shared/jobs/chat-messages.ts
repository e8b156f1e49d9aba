/**
 * Chat messages as the chat completions API takes them: `system`, `developer`, `user` (text and image
 * parts), `assistant` (text, or the tool calls it made) and `tool` (a tool call's result). Field names and
 * shapes are OpenAI's, so a producer's request body is the one it would send to the service.
 */
import { z } from 'zod';
import { imageUrlProblem } from './image-url.js';

/** OpenAI's rule for function names: letters, digits, _ and -, at most 64. */
export const FunctionNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64');

const NameSchema = z.string().max(64).optional();

export const TextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });

const SubmittedImageUrlSchema = z.string().superRefine((url, ctx) => {
  const problem = imageUrlProblem(url);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const imagePart = (url: z.ZodString) =>
  z.strictObject({
    type: z.literal('image_url'),
    image_url: z.strictObject({
      url,
      /** How the model sees it, and what it costs: `low` is one 512 px view (85 tokens). */
      detail: z.enum(['auto', 'low', 'high']).optional(),
    }),
  });
export const ImagePartSchema = imagePart(SubmittedImageUrlSchema);
export type ImagePart = z.infer<typeof ImagePartSchema>;

const TextContentSchema = z.union([z.string().min(1), z.array(TextPartSchema).min(1)]);

/** A call the model made: replayed in the assistant message of a follow-up job. */
export const ToolCallSchema = z.strictObject({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.strictObject({
    name: FunctionNameSchema,
    /** The arguments as the model wrote them: JSON text, not checked against the tool's parameters. */
    arguments: z.string(),
  }),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/**
 * `imageUrl` checks an image's url: in full at submit; as carried between stages not again, so that a
 * stage message never turns poison when a limit changes (see AcceptedResponseFormatSchema).
 */
const chatMessage = (imageUrl: z.ZodString) =>
  z.discriminatedUnion('role', [
    z.strictObject({ role: z.literal('system'), content: TextContentSchema, name: NameSchema }),
    z.strictObject({ role: z.literal('developer'), content: TextContentSchema, name: NameSchema }),
    z.strictObject({
      role: z.literal('user'),
      content: z.union([
        z.string().min(1),
        z.array(z.discriminatedUnion('type', [TextPartSchema, imagePart(imageUrl)])).min(1),
      ]),
      name: NameSchema,
    }),
    z
      .strictObject({
        role: z.literal('assistant'),
        // Null (or absent) when the turn was only tool calls, as the service returns it.
        content: z
          .union([z.string(), z.array(TextPartSchema)])
          .nullable()
          .optional(),
        refusal: z.string().nullable().optional(),
        name: NameSchema,
        tool_calls: z.array(ToolCallSchema).min(1).max(128).optional(),
      })
      .refine(
        (message) =>
          message.tool_calls !== undefined ||
          typeof message.content === 'string' ||
          Array.isArray(message.content),
        {
          path: ['content'],
          message: 'an assistant message needs content or tool_calls',
        },
      ),
    z.strictObject({
      role: z.literal('tool'),
      /** The id of the call answered: one of an earlier assistant message's tool_calls. */
      tool_call_id: z.string().min(1).max(256),
      content: TextContentSchema,
    }),
  ]);

export const ChatMessageSchema = chatMessage(SubmittedImageUrlSchema);
export const AcceptedChatMessageSchema = chatMessage(z.string());
export type ChatMessage = z.infer<typeof ChatMessageSchema>;
