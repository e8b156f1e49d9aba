import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import { countTextTokens } from '../../../shared/model/tokens.js';

let simulator: ModelSimulator;
let client: OpenAI;

beforeAll(async () => {
  simulator = await startModelSimulator({
    deployments: [
      { name: 'embed', model: 'text-embedding-3-small', tpm: 600_000 },
      { name: 'ada', model: 'text-embedding-ada-002', tpm: 600_000 },
    ],
    latency: { timeToFirstTokenMs: 1, perTokenMs: 0 },
  });
  client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await simulator.close();
});

const length = (vector: number[]) => Math.hypot(...vector);

describe('model simulator: embeddings', () => {
  it('answers one normalised vector per input, deterministic, in prompt-token usage (SDK default base64)', async () => {
    const input = ['queues and quotas', 'a second input'];
    const first = await client.embeddings.create({ model: 'embed', input });
    const again = await client.embeddings.create({ model: 'embed', input: input[0]! });
    expect(first.data).toHaveLength(2);
    expect(first.data[0]!.embedding).toHaveLength(1536);
    expect(length(first.data[0]!.embedding)).toBeCloseTo(1, 5);
    // Float32 over base64: equal to float32 precision.
    again.data[0]!.embedding.forEach((value, i) =>
      expect(value).toBeCloseTo(first.data[0]!.embedding[i]!, 6),
    );
    expect(first.data[1]!.embedding).not.toEqual(first.data[0]!.embedding);
    expect(first.usage).toEqual({
      prompt_tokens: countTextTokens(input[0]!) + countTextTokens(input[1]!),
      total_tokens: countTextTokens(input[0]!) + countTextTokens(input[1]!),
    });
  });

  it('honours dimensions (shortened, normalised again) and the float format on the Azure path', async () => {
    const response = await fetch(
      `${simulator.url}/openai/deployments/embed/embeddings?api-version=2024-10-21`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'hello', dimensions: 256, encoding_format: 'float' }),
      },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ embedding: number[] }>; model: string };
    expect(body.model).toBe('text-embedding-3-small');
    expect(body.data[0]!.embedding).toHaveLength(256);
    expect(length(body.data[0]!.embedding)).toBeCloseTo(1, 10);
    const tokens = await client.embeddings.create({
      model: 'embed',
      input: [[15339, 1917]],
      encoding_format: 'float',
    });
    expect(tokens.usage.prompt_tokens).toBe(2);
  });

  it.each([
    [{ model: 'embed', input: [] }, 'input'],
    [{ model: 'embed', input: '' }, 'input'],
    [{ model: 'embed', input: Array.from({ length: 2049 }, () => 'x') }, 'input'],
    [{ model: 'ada', input: 'x', dimensions: 8 }, 'dimensions'],
    [{ model: 'embed', input: 'x', dimensions: 4096 }, 'dimensions'],
    [{ model: 'embed', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
    [{ model: 'embed', input: 'word '.repeat(9000) }, 'input'],
  ])('refuses %# with 400 at its param', async (body, param) => {
    const response = await fetch(`${simulator.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe(param);
  });
});
