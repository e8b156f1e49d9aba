import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import { countPromptTokens, countableMessages } from '../../../shared/model/tokens.js';
import { PNG_2X3 } from '../../shared/jobs/images.js';

let simulator: ModelSimulator;
let client: OpenAI;

beforeAll(async () => {
  simulator = await startModelSimulator({
    deployments: [
      { name: 'chat', model: 'gpt-4o-mini', tpm: 600_000 },
      { name: 'thinker', model: 'o4-mini', tpm: 600_000 },
    ],
    latency: { timeToFirstTokenMs: 1, perTokenMs: 0 },
  });
  client = new OpenAI({ baseURL: `${simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await simulator.close();
});

const tools: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] }, days: { type: 'integer' } },
        required: ['city', 'unit'],
      },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];
const ask = [{ role: 'user' as const, content: 'Weather in Oslo?' }];

describe('model simulator: the request surface', () => {
  it('calls the first tool with the smallest arguments its schema accepts, deterministically', async () => {
    const first = await client.chat.completions.create({ model: 'chat', messages: ask, tools });
    const again = await client.chat.completions.create({ model: 'chat', messages: ask, tools });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    const args = JSON.parse(call.type === 'function' ? call.function.arguments : '{}') as Record<
      string,
      unknown
    >;
    expect(Object.keys(args).sort()).toEqual(['city', 'unit']);
    expect(['c', 'f']).toContain(args.unit);
    expect(again.choices[0]!.message.tool_calls).toEqual(choice.message.tool_calls);
    // Tool definitions are part of the prompt, counted as the platform's pacer counts them.
    expect(first.usage!.prompt_tokens).toBe(
      countPromptTokens(countableMessages({ messages: ask, tools } as never)),
    );
  });

  it('calls the forced tool, none under tool_choice none, and answers a tool result in text', async () => {
    const forced = await client.chat.completions.create({
      model: 'chat',
      messages: ask,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const call = forced.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function).toEqual({ name: 'get_time', arguments: '{}' });

    const none = await client.chat.completions.create({
      model: 'chat',
      messages: ask,
      tools,
      tool_choice: 'none',
    });
    expect(none.choices[0]!.finish_reason).toBe('stop');

    const followUp = await client.chat.completions.create({
      model: 'chat',
      tools,
      messages: [
        ...ask,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"time":"12:00"}' },
      ],
    });
    expect(followUp.choices[0]!.finish_reason).toBe('stop');
    expect(followUp.choices[0]!.message.content).toMatch(/^\[simulated\]/);
  });

  it('counts image parts in prompt tokens by the tile formula', async () => {
    const text = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Look' }],
    });
    const image = await client.chat.completions.create({
      model: 'chat',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image_url', image_url: { url: PNG_2X3 } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
          ],
        },
      ],
    });
    expect(image.usage!.prompt_tokens - text.usage!.prompt_tokens).toBe(255 + 85);
  });

  it('reasons on a reasoning deployment: max_completion_tokens only, reasoning tokens in usage', async () => {
    const low = await client.chat.completions.create({
      model: 'thinker',
      messages: ask,
      max_completion_tokens: 2000,
      reasoning_effort: 'low',
    });
    const high = await client.chat.completions.create({
      model: 'thinker',
      messages: ask,
      max_completion_tokens: 2000,
      reasoning_effort: 'high',
    });
    const details = (reply: typeof low) => reply.usage!.completion_tokens_details!.reasoning_tokens!;
    expect(details(low)).toBe(64);
    expect(details(high)).toBe(512);
    expect(high.usage!.completion_tokens).toBeGreaterThan(details(high));

    await expect(
      client.chat.completions.create({ model: 'thinker', messages: ask, max_tokens: 100 }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'max_tokens' });
    await expect(
      client.chat.completions.create({ model: 'thinker', messages: ask, temperature: 0.2 }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_value', param: 'temperature' });
    await expect(
      client.chat.completions.create({ model: 'chat', messages: ask, reasoning_effort: 'low' }),
    ).rejects.toMatchObject({ status: 400, param: 'reasoning_effort' });
    const plain = await client.chat.completions.create({ model: 'chat', messages: ask });
    expect(plain.usage!.completion_tokens_details!.reasoning_tokens).toBe(0);
  });
});
