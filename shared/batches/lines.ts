/**
 * One line of a batch input file, checked on its own: `{ custom_id, method: "POST", url, body }` with the
 * batch's endpoint as `url` and a chat-completions request as `body`. A bad line is that line's error (it
 * goes to the error file), never the batch's: only problems with the file as a whole fail the batch
 * (shared/batches/validate.ts).
 */
import { z } from 'zod';
import { ChatRequestSchema, type ChatRequest } from '../jobs/schema.js';
import type { LineLimits } from './admission.js';

/** OpenAI does not publish a limit; 512 characters keeps a line's job key and error lines small. */
export const MAX_CUSTOM_ID_LENGTH = 512;

export interface LineError {
  readonly code: string;
  readonly message: string;
}

export type LineVerdict =
  | { readonly ok: true; readonly customId: string; readonly request: ChatRequest }
  | { readonly ok: false; readonly customId: string | null; readonly error: LineError };

const EnvelopeSchema = z.object({
  custom_id: z.string().min(1).max(MAX_CUSTOM_ID_LENGTH),
  method: z.string(),
  url: z.string(),
  body: z.record(z.string(), z.unknown()),
});

/** The custom_id of a parsed line, if it has one: duplicates are counted over every line that names one. */
export function customIdOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>).custom_id;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

/** `limits`: the tenant's, as a submission of its own is held to them (shared/batches/admission.ts). */
export function checkLine(
  value: unknown,
  endpoint: string,
  knownModel: (model: string) => boolean = () => true,
  limits?: LineLimits,
): LineVerdict {
  const customId = customIdOf(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid(customId, 'invalid_request', 'The line is not a JSON object.');
  const envelope = EnvelopeSchema.safeParse(value);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const field = issue?.path.join('.') || 'line';
    return invalid(customId, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}`);
  }
  const { method, url, body } = envelope.data;
  if (method !== 'POST')
    return invalid(customId, 'invalid_method', `method: must be POST, not ${method.slice(0, 16)}.`);
  if (url !== endpoint)
    return invalid(customId, 'mismatched_endpoint', `url: must be the batch's endpoint ${endpoint}.`);
  const request = ChatRequestSchema.safeParse(body);
  if (!request.success) {
    const issue = request.error.issues[0];
    const field = ['body', ...(issue?.path ?? [])].join('.');
    return invalid(customId, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}`);
  }
  if (!knownModel(request.data.model))
    return invalid(customId, 'model_not_found', `body.model: no model ${request.data.model} is served here.`);
  const refused = limits && tenantRefusal(body, request.data, limits);
  if (refused) return invalid(customId, refused.code, refused.message);
  return { ok: true, customId: envelope.data.custom_id, request: request.data };
}

function tenantRefusal(body: unknown, request: ChatRequest, limits: LineLimits): LineError | undefined {
  if (!limits.allowsModel(request.model))
    return {
      code: 'model_not_allowed',
      message: `body.model: ${request.model} is not enabled for this tenant.`,
    };
  if (request.messages.length > limits.maxMessages)
    return {
      code: 'too_many_messages',
      message: `body.messages: at most ${limits.maxMessages} messages per request for this tenant.`,
    };
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes > limits.maxRequestBytes)
    return {
      code: 'request_too_large',
      message: `body: ${bytes} bytes, over this tenant's limit of ${limits.maxRequestBytes} bytes per request.`,
    };
  return undefined;
}

function invalid(customId: string | null, code: string, message: string): LineVerdict {
  return { ok: false, customId, error: { code, message } };
}
