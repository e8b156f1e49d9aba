import OpenAI, { AzureOpenAI } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import { countPromptTokens } from '../../../shared/model/tokens.js';

let simulator: ModelSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

const messages = [{ role: 'user' as const, content: 'Summarise the quota rules.' }];

describe('model simulator', () => {
  it('answers on the Azure path with deterministic, labelled output and exact prompt usage', async () => {
    simulator = await startModelSimulator({
      apiKey: 'k',
      deployments: [{ name: 'chat', model: 'gpt-4o-mini', tpm: 60_000 }],
    });
    const client = new AzureOpenAI({
      endpoint: simulator.url,
      apiKey: 'k',
      apiVersion: '2024-10-21',
      deployment: 'chat',
      maxRetries: 0,
    });
    const first = await client.chat.completions.create({ model: 'chat', messages, max_tokens: 100 });
    const second = await client.chat.completions.create({ model: 'chat', messages, max_tokens: 100 });
    expect(first.choices[0]!.message.content).toMatch(/^\[simulated\]/);
    expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(first.model).toBe('gpt-4o-mini');
    expect(first.usage!.prompt_tokens).toBe(countPromptTokens(messages));
    expect(first.usage!.completion_tokens).toBeGreaterThan(0);
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it('answers on the /v1 path with the model in the body and Bearer auth', async () => {
    simulator = await startModelSimulator({ apiKey: 'k', deployments: [{ name: 'chat', tpm: 60_000 }] });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'chat', messages });
    expect(reply.choices[0]!.finish_reason).toBe('stop');
  });

  it('refuses a wrong key with 401', async () => {
    simulator = await startModelSimulator({ apiKey: 'right', deployments: [{ name: 'chat', tpm: 60_000 }] });
    const client = new AzureOpenAI({
      endpoint: simulator.url,
      apiKey: 'wrong',
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    await expect(client.chat.completions.create({ model: 'chat', messages })).rejects.toMatchObject({
      status: 401,
    });
  });

  it('produces JSON that satisfies a json_schema response format', async () => {
    simulator = await startModelSimulator({ deployments: [{ name: 'chat', tpm: 60_000 }] });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: 'chat',
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'summary',
          schema: {
            type: 'object',
            properties: {
              title: { type: 'string' },
              score: { type: 'integer', minimum: 1, maximum: 5 },
              tags: { type: 'array', items: { type: 'string' } },
              level: { enum: ['low', 'high'] },
            },
            required: ['title', 'score', 'tags', 'level'],
          },
        },
      },
    });
    const parsed = JSON.parse(reply.choices[0]!.message.content!);
    expect(typeof parsed.title).toBe('string');
    expect(Number.isInteger(parsed.score) && parsed.score >= 1 && parsed.score <= 5).toBe(true);
    expect(Array.isArray(parsed.tags)).toBe(true);
    expect(['low', 'high']).toContain(parsed.level);
  });

  it('charges prompt + max_tokens at arrival and answers 429 with Azure headers past the window budget', async () => {
    // 6,000 TPM over a 1 s window = 100 tokens per window; RPM 36 → 0.6 → at least 1 request per window.
    simulator = await startModelSimulator({
      deployments: [{ name: 'chat', tpm: 6_000, rpm: 600 }],
      windowMs: 1_000,
    });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const ok = await client.chat.completions
      .create({ model: 'chat', messages, max_tokens: 60 })
      .withResponse();
    expect(Number(ok.response.headers.get('x-ratelimit-remaining-tokens'))).toBe(
      (100 - countPromptTokens(messages) - 60) * 60,
    );
    const error = await client.chat.completions
      .create({ model: 'chat', messages, max_tokens: 60 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimited = error as InstanceType<typeof OpenAI.RateLimitError>;
    const retryAfterMs = Number(rateLimited.headers.get('retry-after-ms'));
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(rateLimited.headers.get('retry-after')).toBe('1');
    expect(rateLimited.code).toBe('429');
    expect(simulator.stats().totals).toMatchObject({ requests: 2, admitted: 1, throttled: 1 });
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 5));
    await expect(
      client.chat.completions.create({ model: 'chat', messages, max_tokens: 60 }),
    ).resolves.toBeTruthy();
  });

  it('enforces RPM at 6 per 1,000 TPM by default', async () => {
    // 10,000 TPM → 60 RPM → 1 request per 1 s window.
    simulator = await startModelSimulator({ deployments: [{ name: 'chat', tpm: 10_000 }], windowMs: 1_000 });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create({ model: 'chat', messages, max_tokens: 5 });
    await expect(
      client.chat.completions.create({ model: 'chat', messages, max_tokens: 5 }),
    ).rejects.toMatchObject({
      status: 429,
    });
  });

  it('injects content-filter and context-length 400s shaped like Azure', async () => {
    simulator = await startModelSimulator({
      deployments: [{ name: 'chat', tpm: 60_000, contextWindow: 200 }],
    });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const filtered = await client.chat.completions
      .create({
        model: 'chat',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'bad [[simulate:content_filter]]' }],
      })
      .catch((e: unknown) => e);
    expect(filtered).toMatchObject({ status: 400, code: 'content_filter' });
    expect((filtered as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      innererror: { code: 'ResponsibleAIPolicyViolation' },
    });
    const tooLong = await client.chat.completions
      .create({ model: 'chat', messages, max_tokens: 500 })
      .catch((e: unknown) => e);
    expect(tooLong).toMatchObject({ status: 400, code: 'context_length_exceeded' });
  });

  it('injects 500, 503, resets and hangs from setFaults, and -1 rate-limit headers', async () => {
    simulator = await startModelSimulator({ deployments: [{ name: 'chat', tpm: 60_000 }] });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 300 });
    simulator.setFaults({
      rules: [
        { kind: 'http500', count: 1 },
        { kind: 'http503', count: 1 },
        { kind: 'reset', count: 1 },
        { kind: 'hang', count: 1 },
      ],
    });
    await expect(client.chat.completions.create({ model: 'chat', messages })).rejects.toMatchObject({
      status: 500,
    });
    await expect(client.chat.completions.create({ model: 'chat', messages })).rejects.toMatchObject({
      status: 503,
    });
    await expect(client.chat.completions.create({ model: 'chat', messages })).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    await expect(client.chat.completions.create({ model: 'chat', messages })).rejects.toBeInstanceOf(
      OpenAI.APIConnectionTimeoutError,
    );
    simulator.setFaults({ rateLimitHeaders: 'minus-one' });
    const ok = await client.chat.completions.create({ model: 'chat', messages }).withResponse();
    expect(ok.response.headers.get('x-ratelimit-remaining-tokens')).toBe('-1');
  });

  it('streams SSE chunks with usage when asked', async () => {
    simulator = await startModelSimulator({ deployments: [{ name: 'chat', tpm: 60_000 }] });
    const client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    const whole = await client.chat.completions.create({ model: 'chat', messages });
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(usage?.completion_tokens).toBe(whole.usage!.completion_tokens);
  });
});
