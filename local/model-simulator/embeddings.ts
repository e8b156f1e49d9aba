/**
 * The embeddings operation as Azure OpenAI answers it (`POST .../deployments/{d}/embeddings`, `/v1/embeddings`):
 * `input` as a string, an array of strings or of token arrays; vectors deterministic from the model and the
 * input, normalised to length 1, shortened to `dimensions` (text-embedding-3 models only) and normalised
 * again, as the service documents; `encoding_format` `float` or `base64` (little-endian float32, what the
 * openai SDK asks for by default); usage in prompt tokens only. What the service refuses is a 400 with its
 * message: an empty input, more than 2,048 inputs, an input over the model's 8,192 tokens, `dimensions`
 * to a model without them or above its size.
 */
import { countTextTokens } from '../../shared/model/tokens.js';
import { badRequest, contextLengthExceeded, type ErrorResponse } from './azure-errors.js';
import { seededRandom } from './content.js';

export const MAX_EMBEDDING_INPUTS = 2048;
export const MAX_EMBEDDING_INPUT_TOKENS = 8192;

export interface EmbeddingsBody {
  readonly model?: string;
  /** Each input, with its token count. */
  readonly inputs: ReadonlyArray<{ readonly key: string; readonly tokens: number }>;
  readonly dimensions?: number;
  readonly encoding: 'float' | 'base64';
}

/** Native vector sizes; other models (and an unknown one) answer 1,536 and take no `dimensions`. */
function nativeDimensions(model: string): { size: number; shortenable: boolean } {
  if (model.startsWith('text-embedding-3-large')) return { size: 3072, shortenable: true };
  if (model.startsWith('text-embedding-3')) return { size: 1536, shortenable: true };
  return { size: 1536, shortenable: false };
}

/** Parses the body, or returns the 400 the service would send. */
export function parseEmbeddingsBody(raw: string): EmbeddingsBody | ErrorResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return badRequest('The request body must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null)
    return badRequest('The request body must be a JSON object');
  const body = parsed as Record<string, unknown>;
  const input = body['input'];
  const list: unknown[] =
    typeof input === 'string' || isTokenArray(input) ? [input] : Array.isArray(input) ? input : [];
  if (list.length === 0) return badRequest("'input' must be a non-empty string or array", 'input');
  if (list.length > MAX_EMBEDDING_INPUTS) {
    return badRequest(`Too many inputs. The max number of inputs is ${MAX_EMBEDDING_INPUTS}.`, 'input');
  }
  const inputs: Array<{ key: string; tokens: number }> = [];
  for (const item of list) {
    if (typeof item === 'string' && item.length > 0)
      inputs.push({ key: item, tokens: countTextTokens(item) });
    else if (isTokenArray(item) && item.length > 0)
      inputs.push({ key: JSON.stringify(item), tokens: item.length });
    else
      return badRequest(
        "'$.input' is invalid: each input must be a non-empty string or token array",
        'input',
      );
  }
  const dimensions = body['dimensions'];
  if (
    dimensions !== undefined &&
    (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1)
  ) {
    return badRequest("'dimensions' must be a positive integer", 'dimensions');
  }
  const encoding = body['encoding_format'] ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') {
    return badRequest("'encoding_format' must be 'float' or 'base64'", 'encoding_format');
  }
  return {
    ...(typeof body['model'] === 'string' ? { model: body['model'] } : {}),
    inputs,
    ...(dimensions !== undefined ? { dimensions } : {}),
    encoding,
  };
}

export function isErrorResponse(value: EmbeddingsBody | ErrorResponse): value is ErrorResponse {
  return 'status' in value;
}

/** The 400 for what this model refuses of a well-formed body, else undefined. */
export function embeddingsProblem(body: EmbeddingsBody, model: string): ErrorResponse | undefined {
  const native = nativeDimensions(model);
  if (body.dimensions !== undefined && !native.shortenable) {
    return badRequest('This model does not support specifying dimensions.', 'dimensions');
  }
  if (body.dimensions !== undefined && body.dimensions > native.size) {
    return badRequest(`'dimensions' must be at most ${native.size} for this model.`, 'dimensions');
  }
  const longest = Math.max(...body.inputs.map((input) => input.tokens));
  if (longest > MAX_EMBEDDING_INPUT_TOKENS) {
    const tooLong = contextLengthExceeded(MAX_EMBEDDING_INPUT_TOKENS, longest, longest);
    return { ...tooLong, body: { error: { ...(tooLong.body as { error: object }).error, param: 'input' } } };
  }
  return undefined;
}

export function promptTokensOf(body: EmbeddingsBody): number {
  return body.inputs.reduce((sum, input) => sum + input.tokens, 0);
}

/** A unit vector for `key`, the same for the same model and input, of `dimensions` values. */
export function embeddingFor(model: string, key: string, dimensions?: number): number[] {
  const random = seededRandom(`${model}\n${key}`);
  const full = Array.from({ length: nativeDimensions(model).size }, () => random() * 2 - 1);
  return normalised(full.slice(0, dimensions ?? full.length));
}

function normalised(vector: number[]): number[] {
  const length = Math.hypot(...vector) || 1;
  return vector.map((value) => value / length);
}

export function toEmbeddingsResponse(body: EmbeddingsBody, model: string): Record<string, unknown> {
  const promptTokens = promptTokensOf(body);
  return {
    object: 'list',
    model,
    data: body.inputs.map((input, index) => {
      const vector = embeddingFor(model, input.key, body.dimensions);
      return {
        object: 'embedding',
        index,
        embedding:
          body.encoding === 'base64'
            ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
            : vector,
      };
    }),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((token) => typeof token === 'number' && Number.isInteger(token));
}
