/**
 * `GET /v1/jobs/{id}/events`: the job's status as server-sent events (WHATWG HTML, "Server-sent events"),
 * then its result, then the end of the stream. The job is read once when the stream opens (a missing one
 * is a 404 problem, not a stream); its end comes from this host's job watcher (shared/watch), never from
 * a read per client. A comment line every JOB_EVENTS_HEARTBEAT_SECONDS keeps proxies from closing an idle
 * connection; after JOB_EVENTS_MAX_SECONDS without a result the stream ends and the client reconnects
 * (the first event of every stream is the current status, so nothing is lost). A client that goes away
 * cancels the stream: its wait and timers are dropped at once.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { JobDocument } from '../../shared/jobs/job.js';
import { watchJob } from '../../shared/watch/watch-job.js';
import type { AuthenticatedScope } from './context.js';
import { toJobView } from './job-view.js';
import type { JobStatusEvent } from './jobs-docs.js';

/** Reconnection delay the stream asks EventSource clients for (the `retry` field), in milliseconds. */
const RETRY_MS = 2000;

function frame(event: string, data: unknown): string {
  // JSON.stringify never emits a raw line break, so each payload is one `data:` line.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function statusOf(job: JobDocument): JobStatusEvent {
  return { id: job.id, status: job.status, updatedAt: job.updatedAt };
}

export async function jobEventStream(scope: AuthenticatedScope, jobId: string): Promise<HttpResponseInit> {
  const { config } = scope.services;
  const stop = new AbortController();
  const { job, end } = await watchJob(
    scope.services,
    { tenantId: scope.principal.tenantId, id: jobId },
    { signal: stop.signal, timeoutMs: config.JOB_EVENTS_MAX_SECONDS * 1000 },
  );
  const encoder = new TextEncoder();
  let heartbeat: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      send(`retry: ${RETRY_MS}\n\n`);
      send(frame('status', statusOf(job)));
      heartbeat = setInterval(() => send(': heartbeat\n\n'), config.JOB_EVENTS_HEARTBEAT_SECONDS * 1000);
      void end.then((ended) => {
        clearInterval(heartbeat);
        if (stop.signal.aborted) return;
        if (ended) {
          if (ended.status !== job.status) send(frame('status', statusOf(ended)));
          send(frame('result', toJobView(ended)));
        }
        controller.close();
      });
    },
    cancel() {
      // The client went away: drop the wait (and with it the job's place in the watcher's poll).
      clearInterval(heartbeat);
      stop.abort();
    },
  });
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Proxies that buffer (nginx and its kind) pass each event on at once.
      'x-accel-buffering': 'no',
    },
    body,
  };
}
