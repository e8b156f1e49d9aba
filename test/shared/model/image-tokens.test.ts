import { describe, expect, it } from 'vitest';
import { highDetailTokens, imageTokens, UNKNOWN_IMAGE_TOKENS } from '../../../shared/model/image-tokens.js';
import { countableMessages, countPromptTokens, quotaCost } from '../../../shared/model/tokens.js';
import { PNG_2X3 } from '../jobs/images.js';

describe('image tokens (OpenAI vision formula)', () => {
  it.each([
    // OpenAI's worked examples: 1024 x 1024 is scaled to 768 x 768, 4 tiles; 2048 x 4096 to 768 x 1536, 6.
    [1024, 1024, 765],
    [2048, 4096, 1105],
    [4096, 8192, 1105],
    [100, 100, 255],
    [512, 513, 425],
  ])('%i x %i at high detail costs %i', (width, height, tokens) => {
    expect(highDetailTokens({ width, height })).toBe(tokens);
  });

  it('charges low detail 85, a data URL by its size, an https URL as the largest image', () => {
    expect(imageTokens({ url: 'https://example.com/x.png', detail: 'low' })).toBe(85);
    expect(imageTokens({ url: PNG_2X3 })).toBe(255);
    expect(imageTokens({ url: PNG_2X3, detail: 'high' })).toBe(255);
    expect(imageTokens({ url: 'https://example.com/x.png' })).toBe(UNKNOWN_IMAGE_TOKENS);
    expect(UNKNOWN_IMAGE_TOKENS).toBe(1445);
  });

  it('adds images, tool calls and tool definitions to the prompt count', () => {
    const text = [{ role: 'user', content: 'Look' }];
    const withImage = [
      {
        role: 'user',
        content: [
          { type: 'text' as const, text: 'Look' },
          { type: 'image_url' as const, image_url: { url: PNG_2X3 } },
        ],
      },
    ];
    expect(countPromptTokens(withImage)).toBe(countPromptTokens(text) + 255);

    const call = {
      id: 'call_1',
      type: 'function' as const,
      function: { name: 'lookup', arguments: '{"q":"x"}' },
    };
    const asked = countPromptTokens([{ role: 'assistant', content: null, tool_calls: [call] }]);
    expect(asked).toBeGreaterThan(countPromptTokens([{ role: 'assistant', content: '' }]));

    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } },
    ];
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], tools };
    expect(countableMessages(request)).toHaveLength(2);
    expect(quotaCost(request, 100)).toBeGreaterThan(quotaCost({ messages: request.messages }, 100));
    expect(quotaCost({ messages: request.messages, max_completion_tokens: 7 }, 100)).toBe(
      countPromptTokens(request.messages) + 7,
    );
  });
});
