import { describe, expect, it } from 'vitest';
import { IMAGE_LIMITS } from '../../../shared/jobs/image-url.js';
import { AcceptedChatRequestSchema, ChatRequestSchema } from '../../../shared/jobs/schema.js';
import { PNG_2X3 } from './images.js';
import { SubmitJobSchema } from '../../../shared/jobs/submission.js';
import { toFieldIssues } from '../../../shared/pipeline/validation.js';

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
} as const;

const toolTurn = [
  { role: 'user', content: 'Weather in Oslo?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":4}' },
];

/** The field issues an API caller gets back (shared/pipeline/validation.ts). */
function issuesOf(body: Record<string, unknown>): Array<{ field: string; message: string }> {
  const parsed = SubmitJobSchema.safeParse({ model: 'gpt-4o-mini', ...body });
  return parsed.success ? [] : toFieldIssues(parsed.error);
}

function pathsOf(body: Record<string, unknown>): string[] {
  return issuesOf(body).map((issue) => issue.field);
}

describe('the chat request surface', () => {
  it('takes tools, a tool round trip, images and the modern parameters', () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
        ...toolTurn,
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And this picture?' },
            { type: 'image_url', image_url: { url: PNG_2X3, detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      tools: [weather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      max_completion_tokens: 500,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logit_bias: { '50256': -100 },
      reasoning_effort: 'low',
      user: 'user-42',
      seed: 7,
      stop: ['\n\n'],
    };
    const parsed = ChatRequestSchema.parse(body);
    expect(parsed.tools?.[0]?.function.name).toBe('get_weather');
    expect(AcceptedChatRequestSchema.parse(parsed)).toEqual(parsed);
  });

  it.each([
    [
      { tools: [{ ...weather, function: { ...weather.function, name: 'get weather' } }] },
      'tools/0/function/name',
    ],
    [
      {
        tools: [
          {
            ...weather,
            function: {
              ...weather.function,
              parameters: { type: 'object', properties: { x: { pattern: '(a)\\1' } } },
            },
          },
        ],
      },
      'tools/0/function/parameters/properties/x/pattern',
    ],
    [
      { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 12 } } }] },
      'tools/0/function/parameters/type',
    ],
    [{ tools: [weather, weather] }, 'tools/1/function/name'],
    [
      { tools: Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })) },
      'tools',
    ],
    [{ tools: [{ type: 'retrieval' }] }, 'tools/0/type'],
    [{ tool_choice: 'required' }, 'tool_choice'],
    [
      { tools: [weather], tool_choice: { type: 'function', function: { name: 'other' } } },
      'tool_choice/function/name',
    ],
    [{ tools: [weather], tool_choice: 'sometimes' }, 'tool_choice'],
    [{ parallel_tool_calls: true }, 'parallel_tool_calls'],
    [{ max_tokens: 10, max_completion_tokens: 10 }, 'max_completion_tokens'],
    [{ max_completion_tokens: 0 }, 'max_completion_tokens'],
    [{ presence_penalty: 2.5 }, 'presence_penalty'],
    [{ frequency_penalty: -3 }, 'frequency_penalty'],
    [{ logit_bias: { hello: 1 } }, 'logit_bias/hello'],
    [{ logit_bias: { '1': 101 } }, 'logit_bias/1'],
    [{ reasoning_effort: 'extreme' }, 'reasoning_effort'],
    [{ user: 'u'.repeat(257) }, 'user'],
  ])('refuses %j at its field', (extra, path) => {
    expect(pathsOf({ messages: [{ role: 'user', content: 'hi' }], ...extra })).toContain(path);
  });

  it.each([
    [[{ role: 'assistant' }], 'messages/0/content'],
    [[{ role: 'assistant', content: null }], 'messages/0/content'],
    [[{ role: 'tool', tool_call_id: 'call_9', content: 'x' }], 'messages/0/tool_call_id'],
    [
      [...toolTurn.slice(0, 2), { role: 'tool', tool_call_id: 'call_2', content: 'x' }],
      'messages/2/tool_call_id',
    ],
    [[{ role: 'tool', content: 'x' }], 'messages/0/tool_call_id'],
    [
      [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] }],
      'messages/0/tool_calls/0/function/arguments',
    ],
    [
      [{ role: 'system', content: [{ type: 'image_url', image_url: { url: PNG_2X3 } }] }],
      'messages/0/content/0/type',
    ],
    [
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }],
      'messages/0/content/0/image_url/url',
    ],
    [
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:text/plain;base64,aGk=' } }] }],
      'messages/0/content/0/image_url/url',
    ],
    [
      [
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8=' } }],
        },
      ],
      'messages/0/content/0/image_url/url',
    ],
    [
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: PNG_2X3, detail: 'max' } }] }],
      'messages/0/content/0/image_url/detail',
    ],
    [
      [
        {
          role: 'user',
          content: [
            {
              type: 'image_url',
              image_url: { url: 'data:image/png;base64,' + 'A'.repeat(IMAGE_LIMITS.maxDataUrlChars) },
            },
          ],
        },
      ],
      'messages/0/content/0/image_url/url',
    ],
  ])('refuses messages %# at their field', (messages, path) => {
    expect(pathsOf({ messages })).toContain(path);
  });

  it('says why an image is refused', () => {
    const [issue] = issuesOf({
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image_url',
              image_url: { url: 'data:image/png;base64,' + 'A'.repeat(IMAGE_LIMITS.maxDataUrlChars) },
            },
          ],
        },
      ],
    });
    expect(issue?.message).toMatch(/data URL; at most 524288 \(send a larger image by https URL\)/);
  });

  it('bounds the images of a whole request', () => {
    const padded = PNG_2X3 + 'A'.repeat(300_000 - PNG_2X3.length);
    const many = {
      role: 'user',
      content: [0, 1, 2].map(() => ({ type: 'image_url', image_url: { url: padded } })),
    };
    // Each is under the per-image bound; the third crosses the request's.
    expect(pathsOf({ messages: [many] })).toEqual(['messages/0/content/2/image_url/url']);
    const urls = Array.from({ length: IMAGE_LIMITS.maxImagesPerRequest + 1 }, () => ({
      type: 'image_url',
      image_url: { url: 'https://example.com/a.png' },
    }));
    expect(pathsOf({ messages: [{ role: 'user', content: urls }] })).toEqual([
      `messages/0/content/${IMAGE_LIMITS.maxImagesPerRequest}/image_url/url`,
    ]);
  });

  it('does not check images again between stages', () => {
    const message = {
      role: 'user',
      content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8=' } }],
    };
    expect(AcceptedChatRequestSchema.safeParse({ model: 'm', messages: [message] }).success).toBe(true);
  });
});
