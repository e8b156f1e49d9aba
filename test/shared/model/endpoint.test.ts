import type { ChatCompletion } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { fromChatCompletion, toChatParams } from '../../../shared/model/endpoint.js';
import { isReasoningDeployment } from '../../../shared/model/settings.js';
import type { ChatRequest } from '../../../shared/jobs/schema.js';

const request: ChatRequest = {
  model: 'alias',
  messages: [{ role: 'user', content: 'hi' }],
  max_completion_tokens: 300,
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
  tool_choice: 'required',
  parallel_tool_calls: false,
  presence_penalty: 1,
  frequency_penalty: 1,
  logit_bias: { '42': 5 },
  reasoning_effort: 'low',
  user: 'u1',
};

describe('the request a deployment gets', () => {
  it('sends every field under its OpenAI name, the deployment as model', () => {
    const params = toChatParams(request, 'gpt-4o-mini', 300);
    expect(params).toEqual({
      model: 'gpt-4o-mini',
      messages: request.messages,
      max_tokens: 300,
      tools: request.tools,
      tool_choice: 'required',
      parallel_tool_calls: false,
      presence_penalty: 1,
      frequency_penalty: 1,
      logit_bias: { '42': 5 },
      reasoning_effort: 'low',
      user: 'u1',
    });
  });

  it('sends the limit as max_completion_tokens to a reasoning model, never both', () => {
    const params = toChatParams(
      { ...request, max_completion_tokens: undefined, max_tokens: 90 },
      'o4-mini',
      90,
      true,
    );
    expect(params.max_completion_tokens).toBe(90);
    expect('max_tokens' in params).toBe(false);
  });

  it('knows reasoning deployments by model name unless told', () => {
    expect(isReasoningDeployment({ name: 'a', model: 'o4-mini-2025-04-16' })).toBe(true);
    expect(isReasoningDeployment({ name: 'gpt-5-mini' })).toBe(true);
    expect(isReasoningDeployment({ name: 'a', model: 'gpt-4o' })).toBe(false);
    expect(isReasoningDeployment({ name: 'a', model: 'gpt-4o', reasoning: true })).toBe(true);
  });
});

describe('a completion as the job records it', () => {
  it('keeps tool calls and reasoning tokens', () => {
    const data = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 0,
      model: 'o4-mini',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          logprobs: null,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 70,
        total_tokens: 80,
        completion_tokens_details: { reasoning_tokens: 64 },
      },
    } as ChatCompletion;
    expect(fromChatCompletion(data, 'dep')).toEqual({
      content: null,
      refusal: null,
      toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      finishReason: 'tool_calls',
      usage: { promptTokens: 10, completionTokens: 70, cachedTokens: 0, reasoningTokens: 64 },
      deployment: 'dep',
      model: 'o4-mini',
      responseId: 'chatcmpl-1',
    });
  });
});
