/**
 * The job event stream (`GET /v1/jobs/{id}/events`, server-sent events) as an async iterator: the job's
 * status events, then its result, then the end. A stream that ends without a result (the server's bound,
 * a dropped connection) is opened again after the delay the server asked for (`retry`), as an
 * EventSource would; every stream starts with the current status, so nothing is missed.
 */
import { createParser } from 'eventsource-parser';
import type { components } from './schema.js';

type Job = components['schemas']['Job'];
/** The `data` of a `status` event (the server's JobStatusEventSchema: these three fields of the job). */
export type JobStatusEvent = Pick<Job, 'id' | 'status' | 'updatedAt'>;

export type JobEvent =
  | { readonly type: 'status'; readonly status: JobStatusEvent }
  | { readonly type: 'result'; readonly job: Job };

export interface JobEventsOptions {
  /** Stops following: the iterator ends. */
  readonly signal?: AbortSignal;
}

/** Opens one stream: its body, or throws (the client's PromptPipelineError) for an error answer. */
export type OpenStream = (signal: AbortSignal) => Promise<ReadableStream<Uint8Array>>;

const DEFAULT_RETRY_MS = 2000;

export async function* followJobEvents(
  open: OpenStream,
  options: JobEventsOptions = {},
): AsyncGenerator<JobEvent, void, undefined> {
  let retryMs = DEFAULT_RETRY_MS;
  while (!options.signal?.aborted) {
    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    const pending: JobEvent[] = [];
    const parser = createParser({
      onRetry: (ms) => {
        retryMs = ms;
      },
      onEvent: (message) => {
        if (message.event === 'status')
          pending.push({ type: 'status', status: JSON.parse(message.data) as JobStatusEvent });
        else if (message.event === 'result')
          pending.push({ type: 'result', job: JSON.parse(message.data) as Job });
      },
    });
    try {
      const reader = (await open(stop.signal)).getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
          while (pending.length > 0) {
            const event = pending.shift() as JobEvent;
            yield event;
            if (event.type === 'result') return;
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      // A refused request (404, 401, ...) is the caller's to see; a dropped connection is retried.
      if (!(error instanceof TypeError)) throw error;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      stop.abort();
    }
    await sleep(retryMs, options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
