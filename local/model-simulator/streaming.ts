/**
 * Server-sent events for `stream: true`: a role chunk, the content in word groups paced by the per-token
 * latency, a finish chunk, the usage chunk when `stream_options.include_usage` asks for it, then
 * `[DONE]`, the sequence the OpenAI SDK's stream reader expects.
 */
import type { ServerResponse } from 'node:http';
import type { Completion } from './completion.js';
import { baseHeaders, type PendingTimers } from './http.js';
import type { Latency } from './types.js';

/** Words go out in groups so a long answer does not need one timer per token. */
const GROUP_SIZE = 8;

export interface StreamOptions {
  readonly latency: Latency;
  readonly timers: PendingTimers;
  readonly includeUsage: boolean;
  /** Called once the last chunk is written, so only finished streams count as succeeded. */
  readonly onDone: () => void;
}

export function streamCompletion(
  res: ServerResponse,
  rateHeaders: Record<string, string>,
  completion: Completion,
  options: StreamOptions,
): void {
  res.writeHead(200, {
    ...baseHeaders(),
    ...rateHeaders,
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
  });
  const created = Math.floor(Date.now() / 1000);
  const event = (fields: Record<string, unknown>): string =>
    `data: ${JSON.stringify({ id: completion.id, object: 'chat.completion.chunk', created, model: completion.model, ...fields })}\n\n`;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
    event({ choices: [{ index: 0, delta, finish_reason: finishReason }] });
  const pieces = completion.generated.text.split(/(?= )/);
  let index = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (index === 0) res.write(chunk({ role: 'assistant', content: '' }, null));
    const group = pieces.slice(index, index + GROUP_SIZE).join('');
    index += GROUP_SIZE;
    if (group.length > 0) res.write(chunk({ content: group }, null));
    if (index < pieces.length) return options.timers.later(options.latency.perTokenMs * GROUP_SIZE, next);
    res.write(chunk({}, completion.finishReason));
    if (options.includeUsage) res.write(event({ choices: [], usage: completion.usage }));
    res.end('data: [DONE]\n\n');
    options.onDone();
  };
  options.timers.later(options.latency.timeToFirstTokenMs, next);
}
