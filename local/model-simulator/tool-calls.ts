/**
 * Tool calls as the service makes them, deterministically: when tools are offered and `tool_choice`
 * allows, the model calls the forced function (or, for `auto` and `required`, the first one) with the
 * smallest arguments its `parameters` schema accepts. Under `auto`, a conversation whose last message is a
 * tool's result gets an answer instead, so a follow-up job with the `tool` message completes in text.
 */
import { createHash } from 'node:crypto';
import { countTextTokens } from '../../shared/model/tokens.js';
import type { ChatBody } from './chat-request.js';
import { seededRandom, valueForSchema } from './content.js';

export interface SimulatedToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

interface OfferedTool {
  readonly function: { readonly name: string; readonly parameters?: unknown };
}

/** The call the model makes for `body`, or undefined when it answers in text. */
export function toolCallFor(body: ChatBody, seed: string): SimulatedToolCall | undefined {
  const tools = (body.tools ?? []).filter(isFunctionTool);
  const choice = body.tool_choice ?? 'auto';
  if (tools.length === 0 || choice === 'none') return undefined;
  const last = body.messages[body.messages.length - 1];
  if (choice === 'auto' && last?.role === 'tool') return undefined;
  const forced = typeof choice === 'object' ? choice.function?.name : undefined;
  const tool = forced === undefined ? tools[0] : tools.find((t) => t.function.name === forced);
  if (!tool) return undefined;
  const args = valueForSchema(
    tool.function.parameters ?? { type: 'object' },
    seededRandom(seed),
    'arguments',
    0,
    true,
  );
  return {
    id: `call_${createHash('sha256').update(`tool\n${seed}`).digest('hex').slice(0, 24)}`,
    type: 'function',
    function: { name: tool.function.name, arguments: JSON.stringify(args) },
  };
}

/** Completion tokens of a call: its name and arguments, plus the few tokens that frame a call. */
export function toolCallTokens(call: SimulatedToolCall): number {
  return countTextTokens(call.function.name) + countTextTokens(call.function.arguments) + 3;
}

function isFunctionTool(tool: unknown): tool is OfferedTool {
  if (typeof tool !== 'object' || tool === null) return false;
  const fn = (tool as { function?: unknown }).function;
  return typeof fn === 'object' && fn !== null && typeof (fn as { name?: unknown }).name === 'string';
}
