/**
 * An embeddings job: OpenAI's embeddings body (`input`, `dimensions`, `encoding_format`, `user`) under a
 * model alias. It is told from a chat job by its `input` (a chat job has `messages`), so each is checked
 * by its own schema and a problem is named at its own field.
 *
 * The vectors are kept in the job (its Cosmos DB document, at most 2 MB, and its webhook event), so a job
 * asks for at most 65,536 values (inputs x dimensions, about 1 MB as JSON): 21 inputs at 3,072 dimensions,
 * 42 at 1,536, 256 at 256. `dimensions` defaults to the largest a model has (3,072) for this bound, since
 * the deployment behind an alias is not known at submit. Token arrays are not taken: strings only.
 */
import { z } from 'zod';
import { ModelAliasSchema } from './model-alias.js';

export const EMBEDDING_LIMITS = {
  /** OpenAI's limit on inputs per request. */
  maxInputs: 2048,
  /** Values (inputs x dimensions) one job may ask for: what its document and event can hold. */
  maxValuesPerJob: 65_536,
  /** The largest vector of a model (text-embedding-3-large): assumed when `dimensions` is not set. */
  maxDimensions: 3072,
} as const;

const embeddingsShape = {
  model: ModelAliasSchema,
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(EMBEDDING_LIMITS.maxInputs)]),
  /** Shorter vectors (text-embedding-3 models): fewer values to store, and more inputs per job. */
  dimensions: z.number().int().min(1).max(EMBEDDING_LIMITS.maxDimensions).optional(),
  /** Vectors are kept as JSON numbers; `base64` is not offered. */
  encoding_format: z.literal('float').optional(),
  user: z.string().max(256).optional(),
};

export const EmbeddingsRequestSchema = z.strictObject(embeddingsShape).superRefine((request, ctx) => {
  const inputs = typeof request.input === 'string' ? 1 : request.input.length;
  const values = inputs * (request.dimensions ?? EMBEDDING_LIMITS.maxDimensions);
  if (values > EMBEDDING_LIMITS.maxValuesPerJob) {
    ctx.addIssue({
      code: 'custom',
      path: ['input'],
      message: `${inputs} inputs x ${request.dimensions ?? EMBEDDING_LIMITS.maxDimensions} dimensions is ${values} values; at most ${EMBEDDING_LIMITS.maxValuesPerJob} per job (set dimensions, or split the inputs over jobs)`,
    });
  }
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/** As carried between stages: the bound was applied at submit (see AcceptedResponseFormatSchema). */
export const AcceptedEmbeddingsRequestSchema = z.strictObject(embeddingsShape);

/** A body or request is an embeddings one when it has `input` and no `messages`. */
export function isEmbeddingsBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'input' in body && !('messages' in body);
}

export function isEmbeddingsRequest<T extends object>(
  request: T | EmbeddingsRequest,
): request is EmbeddingsRequest {
  return isEmbeddingsBody(request);
}

export function embeddingInputs(request: EmbeddingsRequest): string[] {
  return typeof request.input === 'string' ? [request.input] : request.input;
}
