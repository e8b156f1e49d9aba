import { describe, expect, it } from 'vitest';
import { checkLine, customIdOf } from '../../../shared/batches/lines.js';

const ENDPOINT = '/v1/chat/completions';
const good = {
  custom_id: 'r-1',
  method: 'POST',
  url: ENDPOINT,
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
};

describe('checkLine', () => {
  it('accepts a chat-completions line and returns its request', () => {
    const verdict = checkLine(good, ENDPOINT);
    expect(verdict).toEqual({ ok: true, customId: 'r-1', request: good.body });
  });

  it.each([
    ['no custom_id', { ...good, custom_id: undefined }, null, 'invalid_request', /custom_id/],
    ['an empty custom_id', { ...good, custom_id: '' }, null, 'invalid_request', /custom_id/],
    ['a GET', { ...good, method: 'GET' }, 'r-1', 'invalid_method', /method: must be POST/],
    ['another url', { ...good, url: '/v1/embeddings' }, 'r-1', 'mismatched_endpoint', /url/],
    ['no body', { ...good, body: undefined }, 'r-1', 'invalid_request', /body/],
    [
      'a body without messages',
      { ...good, body: { model: 'gpt-4o-mini' } },
      'r-1',
      'invalid_request',
      /body\.messages/,
    ],
    ['an unknown body field', { ...good, body: { ...good.body, n: 2 } }, 'r-1', 'invalid_request', /body/],
    [
      'a model not served',
      { ...good, body: { ...good.body, model: 'nope' } },
      'r-1',
      'model_not_found',
      /body\.model/,
    ],
    ['an array', [good], null, 'invalid_request', /not a JSON object/],
  ])(
    'refuses %s, naming the field, keeping the custom_id when there is one',
    (_label, value, customId, code, message) => {
      const verdict = checkLine(value, ENDPOINT, (model) => model === 'gpt-4o-mini');
      expect(verdict.ok).toBe(false);
      if (verdict.ok) return;
      expect(verdict.customId).toBe(customId);
      expect(verdict.error.code).toBe(code);
      expect(verdict.error.message).toMatch(message);
    },
  );

  it('reads custom_ids only from objects that have a non-empty string one', () => {
    expect(customIdOf({ custom_id: 'x' })).toBe('x');
    expect(customIdOf({ custom_id: 7 })).toBeNull();
    expect(customIdOf('x')).toBeNull();
    expect(customIdOf(null)).toBeNull();
  });
});
