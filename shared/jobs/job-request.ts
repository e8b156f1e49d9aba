/**
 * What a job asks of a model, as accepted and carried between stages: a chat completion or embeddings
 * (told apart by `input`, see shared/jobs/embeddings.ts).
 */
import { z } from 'zod';
import { AcceptedEmbeddingsRequestSchema, isEmbeddingsRequest } from './embeddings.js';
import { AcceptedChatRequestSchema } from './schema.js';

export const AcceptedJobRequestSchema = z.union([AcceptedChatRequestSchema, AcceptedEmbeddingsRequestSchema]);
export type JobRequest = z.infer<typeof AcceptedJobRequestSchema>;

/** The response format a chat job asked for; an embeddings job has none. */
export function responseFormatOf(request: JobRequest) {
  return isEmbeddingsRequest(request) ? undefined : request.response_format;
}
