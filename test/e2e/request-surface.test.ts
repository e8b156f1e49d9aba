/**
 * The chat request surface through the whole local stack over HTTP: a job offered tools comes back with
 * the model's tool calls, a follow-up job carrying the `tool` result completes in text, image parts are
 * accepted and counted in the job's usage, a reasoning deployment gets `max_completion_tokens` and
 * reports reasoning tokens, and bad tools, images and oversize inputs are 400s naming the field.
 */
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { IMAGE_LIMITS } from '../../shared/jobs/image-url.js';
import { useLocalStack } from '../fakes/local-stack.js';
import { PNG_2X3 } from '../shared/jobs/images.js';

let stack: LocalStack;

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    deployments: [
      { name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 1_000_000 },
      { name: 'o4-mini', model: 'o4-mini', tpm: 1_000_000 },
      { name: 'text-embedding-3-small', model: 'text-embedding-3-small', tpm: 1_000_000 },
    ],
  },
  (started) => {
    stack = started;
  },
);

interface Job {
  id: string;
  status: string;
  result?: {
    content: string | null;
    finishReason: string;
    toolCalls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    embeddings?: number[][];
  };
  usage?: { promptTokens: number; completionTokens: number; reasoningTokens?: number; costUsd: number };
  error?: { code: string; message: string };
}

function submit(body: unknown): Promise<Response> {
  return fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': stack.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function run(body: unknown): Promise<Job> {
  const response = await submit(body);
  expect(response.status, await response.clone().text()).toBe(202);
  const { id } = (await response.json()) as Job;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const job = (await (
      await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': stack.apiKey } })
    ).json()) as Job;
    if (job.status !== 'queued') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still queued`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } },
        required: ['city'],
      },
    },
  },
];
const ask = { role: 'user', content: 'What is the weather in Oslo?' };

describe('tools', () => {
  it('a job offered tools returns the tool call; a follow-up with the tool result completes in text', async () => {
    const asked = await run({ model: 'gpt-4o-mini', messages: [ask], tools, max_tokens: 200 });
    expect(asked.status).toBe('succeeded');
    expect(asked.result?.finishReason).toBe('tool_calls');
    expect(asked.result?.content).toBeNull();
    const call = asked.result!.toolCalls![0]!;
    expect(call.function.name).toBe('get_weather');
    expect(Object.keys(JSON.parse(call.function.arguments) as object)).toEqual(['city']);

    const answered = await run({
      model: 'gpt-4o-mini',
      tools,
      max_tokens: 200,
      messages: [
        ask,
        { role: 'assistant', content: null, tool_calls: asked.result!.toolCalls },
        { role: 'tool', tool_call_id: call.id, content: '{"celsius": 4}' },
      ],
    });
    expect(answered.status).toBe('succeeded');
    expect(answered.result?.finishReason).toBe('stop');
    expect(answered.result?.content).toMatch(/^\[simulated\]/);
    expect(answered.result?.toolCalls).toBeUndefined();
  });

  it('a forced tool call under a json_schema response format succeeds (the format waits for the answer)', async () => {
    const job = await run({
      model: 'gpt-4o-mini',
      messages: [ask],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object', properties: { text: { type: 'string' } } } },
      },
    });
    expect(job.status).toBe('succeeded');
    expect(job.result?.toolCalls?.[0]?.function.name).toBe('get_weather');
  });
});

describe('images', () => {
  it('an image job is accepted and its images counted in the usage', async () => {
    const text = await run({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Describe' }] });
    const image = await run({
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe' },
            { type: 'image_url', image_url: { url: PNG_2X3, detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photo.jpg', detail: 'low' } },
          ],
        },
      ],
    });
    expect(image.status).toBe('succeeded');
    // 2 x 3 px at high detail: one tile, 85 + 170; an https image at low detail: 85.
    expect(image.usage!.promptTokens - text.usage!.promptTokens).toBe(255 + 85);
  });
});

describe('reasoning deployments', () => {
  it('get max_completion_tokens whatever limit the job set, and report reasoning tokens', async () => {
    for (const limit of [{ max_tokens: 2000 }, { max_completion_tokens: 2000 }]) {
      const job = await run({ model: 'o4-mini', messages: [ask], reasoning_effort: 'low', ...limit });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.usage?.reasoningTokens).toBe(64);
      expect(job.usage!.completionTokens).toBeGreaterThan(64);
    }
  });

  it('reasoning_effort on a model that does not reason fails the job with the service reason', async () => {
    const job = await run({ model: 'gpt-4o-mini', messages: [ask], reasoning_effort: 'low' });
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/reasoning_effort/);
  });
});

describe('embeddings', () => {
  it('an embeddings job returns its vectors and its usage (prompt tokens only, priced)', async () => {
    const job = await run({
      model: 'text-embedding-3-small',
      input: ['queues', 'quotas and tenants'],
      dimensions: 64,
    });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const vectors = job.result!.embeddings!;
    expect(vectors).toHaveLength(2);
    for (const vector of vectors) {
      expect(vector).toHaveLength(64);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    expect(job.result?.content).toBeNull();
    expect(job.usage!.promptTokens).toBeGreaterThan(0);
    expect(job.usage!.completionTokens).toBe(0);
    // text-embedding-3-small: $0.02 per million input tokens.
    expect(job.usage!.costUsd).toBeCloseTo((job.usage!.promptTokens * 0.02) / 1_000_000, 12);

    const again = await run({ model: 'text-embedding-3-small', input: 'queues', dimensions: 64 });
    again.result!.embeddings![0]!.forEach((value, i) => expect(value).toBeCloseTo(vectors[0]![i]!, 6));
  });

  it('vectors larger than a Service Bus message go through the stages by claim check', async () => {
    // 42 x 1,536 values: ~1 MB of JSON between invoke, postprocess and persist, under the job bound.
    const input = Array.from({ length: 42 }, (_, i) => `input number ${i}`);
    const job = await run({ model: 'text-embedding-3-small', input, dimensions: 1536 });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result!.embeddings!.map((vector) => vector.length)).toEqual(input.map(() => 1536));
  });

  it.each([
    ['an empty input list', { input: [] }, 'input'],
    ['too many values for one job', { input: Array.from({ length: 22 }, () => 'x') }, 'input'],
    ['a bad dimensions', { input: 'x', dimensions: 0 }, 'dimensions'],
    ['a chat field', { input: 'x', max_tokens: 5 }, 'max_tokens'],
  ])('%s is a 400 naming the field', async (_what, extra, field) => {
    const response = await submit({ model: 'text-embedding-3-small', ...extra });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field)).toContain(field);
  });
});

describe('bad requests are 400s naming the field', () => {
  it.each([
    [
      'a bad tool name',
      { tools: [{ type: 'function', function: { name: 'get weather' } }] },
      'tools/0/function/name',
    ],
    [
      'a tool schema pattern RE2 cannot run',
      {
        tools: [
          {
            type: 'function',
            function: { name: 'f', parameters: { properties: { a: { pattern: '(a)\\1' } } } },
          },
        ],
      },
      'tools/0/function/parameters/properties/a/pattern',
    ],
    ['tool_choice without tools', { tool_choice: 'required' }, 'tool_choice'],
    ['both completion limits', { max_tokens: 5, max_completion_tokens: 5 }, 'max_completion_tokens'],
    [
      'a tool message answering no call',
      { messages: [ask, { role: 'tool', tool_call_id: 'call_x', content: '4' }] },
      'messages/1/tool_call_id',
    ],
    [
      'an http image',
      {
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] },
        ],
      },
      'messages/0/content/0/image_url/url',
    ],
    [
      'a data URL that is not an image',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8=' } }],
          },
        ],
      },
      'messages/0/content/0/image_url/url',
    ],
    [
      'an oversize data URL',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'image_url',
                image_url: { url: `${PNG_2X3}${'A'.repeat(IMAGE_LIMITS.maxDataUrlChars)}` },
              },
            ],
          },
        ],
      },
      'messages/0/content/0/image_url/url',
    ],
  ])('%s', async (_what, extra, field) => {
    const response = await submit({ model: 'gpt-4o-mini', messages: [ask], ...extra });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await response.json()) as { detail: string; errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(problem.detail).toContain(field);
  });
});
