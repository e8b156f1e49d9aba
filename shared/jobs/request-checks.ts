/**
 * What the chat request checks across its fields, as the service does, each problem at the path of the
 * field to change: both token limits set, tool options without tools, a forced tool that is not offered,
 * two tools of one name, a tool message answering no earlier call, and the image bounds of the whole
 * request (shared/jobs/image-url.ts).
 */
import type { z } from 'zod';
import type { ChatMessage } from './chat-messages.js';
import { IMAGE_LIMITS } from './image-url.js';

interface CheckedRequest {
  readonly messages: readonly ChatMessage[];
  readonly max_tokens?: number | undefined;
  readonly max_completion_tokens?: number | undefined;
  readonly tools?: ReadonlyArray<{ readonly function: { readonly name: string } }> | undefined;
  readonly tool_choice?: string | { readonly function: { readonly name: string } } | undefined;
  readonly parallel_tool_calls?: boolean | undefined;
}

type Issue = { readonly path: (string | number)[]; readonly message: string };

export function checkChatRequest(request: CheckedRequest, ctx: z.RefinementCtx): void {
  for (const issue of requestIssues(request)) ctx.addIssue({ code: 'custom', ...issue });
}

export function requestIssues(request: CheckedRequest): Issue[] {
  const issues: Issue[] = [];
  if (request.max_tokens !== undefined && request.max_completion_tokens !== undefined) {
    issues.push({
      path: ['max_completion_tokens'],
      message: 'set max_tokens or max_completion_tokens, not both (max_completion_tokens is preferred)',
    });
  }
  issues.push(...toolIssues(request), ...messageIssues(request.messages));
  return issues;
}

function toolIssues(request: CheckedRequest): Issue[] {
  const issues: Issue[] = [];
  const names = new Set<string>();
  request.tools?.forEach((tool, index) => {
    if (names.has(tool.function.name)) {
      issues.push({ path: ['tools', index, 'function', 'name'], message: 'another tool has this name' });
    }
    names.add(tool.function.name);
  });
  const offered = request.tools !== undefined && request.tools.length > 0;
  const choice = request.tool_choice;
  if (!offered && choice !== undefined && choice !== 'none') {
    issues.push({ path: ['tool_choice'], message: 'only allowed when tools are given' });
  }
  if (!offered && request.parallel_tool_calls !== undefined) {
    issues.push({ path: ['parallel_tool_calls'], message: 'only allowed when tools are given' });
  }
  if (offered && typeof choice === 'object' && !names.has(choice.function.name)) {
    issues.push({ path: ['tool_choice', 'function', 'name'], message: 'no tool of this name is given' });
  }
  return issues;
}

function messageIssues(messages: readonly ChatMessage[]): Issue[] {
  const issues: Issue[] = [];
  const calls = new Set<string>();
  let images = 0;
  let dataUrlChars = 0;
  messages.forEach((message, index) => {
    if (message.role === 'assistant') for (const call of message.tool_calls ?? []) calls.add(call.id);
    if (message.role === 'tool' && !calls.has(message.tool_call_id)) {
      issues.push({
        path: ['messages', index, 'tool_call_id'],
        message: 'answers no tool call of an earlier assistant message',
      });
    }
    if (message.role !== 'user' || typeof message.content === 'string') return;
    message.content.forEach((part, partIndex) => {
      if (part.type !== 'image_url') return;
      const path = ['messages', index, 'content', partIndex, 'image_url', 'url'];
      images += 1;
      if (images === IMAGE_LIMITS.maxImagesPerRequest + 1) {
        issues.push({ path, message: `more than ${IMAGE_LIMITS.maxImagesPerRequest} images in one request` });
      }
      if (!part.image_url.url.startsWith('data:')) return;
      const before = dataUrlChars;
      dataUrlChars += part.image_url.url.length;
      if (
        before <= IMAGE_LIMITS.maxDataUrlCharsPerRequest &&
        dataUrlChars > IMAGE_LIMITS.maxDataUrlCharsPerRequest
      ) {
        issues.push({
          path,
          message: `data URLs in one request exceed ${IMAGE_LIMITS.maxDataUrlCharsPerRequest} characters together; send images by https URL`,
        });
      }
    });
  });
  return issues;
}
