/**
 * Waiting without polling, through the whole local stack scaled out to two host instances: the main one
 * serves HTTP only and the jobs run on the other, so every end reaches the waiting clients through the
 * main instance's shared poll, the path a job that finishes on another Azure instance takes. The long
 * poll (`GET /v1/jobs/{id}?wait=`), the event stream (`GET /v1/jobs/{id}/events`), a client that
 * disconnects, and the Cosmos DB operations many waiting clients cost (the real SDK, counted on the
 * main instance's thread: bench/instrument/cosmos-counter.ts).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instrumentCosmos, type CosmosCounter } from '../../bench/instrument/cosmos-counter.js';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';

const INTERVAL_MS = 250;
let stack: LocalStack;
let cosmos: CosmosCounter;

// Registered before the stack's hooks: counting starts before it starts, and ends after it closed.
beforeAll(() => {
  cosmos = instrumentCosmos();
});
afterAll(() => cosmos?.restore());

useLocalStack(
  {
    hostInstances: 2,
    mainInstanceFunctions: 'http',
    // Jobs stay queued about 1.5 s: long enough to be waited on.
    modelLatency: { timeToFirstTokenMs: 1500, perTokenMs: 1 },
    // A `[[simulate:hang]]` prompt keeps its job queued until cancelled; its model call gives up after 5 s.
    env: {
      JOB_WATCH_INTERVAL_MS: String(INTERVAL_MS),
      JOB_EVENTS_HEARTBEAT_SECONDS: '1',
      MODEL_TIMEOUT_MS: '5000',
      JOB_MAX_ATTEMPTS: '1',
    },
  },
  (started) => {
    stack = started;
  },
  { timeoutMs: 90_000 },
);

const headers = () => ({ 'api-key': stack.apiKey, 'content-type': 'application/json' });

async function submit(text: string): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: text }],
      max_tokens: 16,
    }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function getJob(id: string, query = ''): Promise<{ status: string; result?: { content: string } }> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}${query}`, { headers: headers() });
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string };
}

interface Seen {
  readonly events: EventSourceMessage[];
  readonly comments: string[];
}

/**
 * Reads an event stream to its end, or until `stopAfter` says so; `onRead` runs after each chunk (an
 * action in the middle of a stream).
 */
async function readEvents(
  id: string,
  stopAfter?: (seen: Seen) => boolean,
  signal?: AbortSignal,
  onRead?: (seen: Seen) => Promise<void>,
): Promise<Seen & { ended: boolean }> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}/events`, {
    headers: headers(),
    ...(signal ? { signal } : {}),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment),
  });
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { events, comments, ended: true };
    parser.feed(decoder.decode(value, { stream: true }));
    await onRead?.({ events, comments });
    if (stopAfter?.({ events, comments })) {
      await reader.cancel();
      return { events, comments, ended: false };
    }
  }
}

describe('long poll', () => {
  test('answers when the job ends on the other instance, or with the job as it is at the bound', async () => {
    const id = await submit('long poll');
    const atBound = await getJob(id, '?wait=1');
    expect(atBound.status).toBe('queued');
    const ended = await getJob(id, '?wait=30');
    expect(ended.status).toBe('succeeded');
    expect(ended.result?.content).toEqual(expect.any(String));
    // Already finished: at once, with no wait left behind.
    expect((await getJob(id, '?wait=30')).status).toBe('succeeded');
    expect(stack.services.jobWatcher.waitingClients).toBe(0);
  });

  test('a bad wait is a 400 naming the field', async () => {
    const id = await submit('bad wait');
    const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}?wait=61`, { headers: headers() });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string }[] };
    expect(problem.errors[0]?.field).toBe('wait');
  });
});

const hanging = '[[simulate:hang]] wait for me';

describe('event stream', () => {
  test('the status, then the terminal status and the result, then the end', async () => {
    const id = await submit('event stream');
    const { events, ended } = await readEvents(id);
    expect(ended).toBe(true);
    const kinds = events.map((event) => event.event);
    // Queued when the stream opened (the model takes 1.5 s), then its end from the other instance.
    expect(kinds).toEqual(['status', 'status', 'result']);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ id, status: 'queued' });
    expect(JSON.parse(events[1]!.data)).toMatchObject({ id, status: 'succeeded' });
    const result = JSON.parse(events[2]!.data) as { id: string; status: string; result: { content: string } };
    expect(result).toMatchObject({ id, status: 'succeeded', result: { content: expect.any(String) } });
    // A finished job's stream: the status and the result at once.
    const again = await readEvents(id);
    expect(again.events.map((event) => event.event)).toEqual(['status', 'result']);
    expect(JSON.parse(again.events[0]!.data)).toMatchObject({ status: 'succeeded' });
  });

  test('heartbeats while the job waits; a cancel ends the stream with the cancelled job', async () => {
    const id = await submit(hanging);
    let cancelled = false;
    const { events, comments, ended } = await readEvents(id, undefined, undefined, async (seen) => {
      if (cancelled || !seen.comments.some((comment) => comment.trim() === 'heartbeat')) return;
      cancelled = true;
      const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}/cancel`, {
        method: 'POST',
        headers: headers(),
      });
      expect(response.status).toBe(200);
    });
    expect(ended).toBe(true);
    expect(comments.filter((comment) => comment.trim() === 'heartbeat').length).toBeGreaterThanOrEqual(1);
    expect(
      events.map((event) => [event.event, (JSON.parse(event.data) as { status: string }).status]),
    ).toEqual([
      ['status', 'queued'],
      ['status', 'cancelled'],
      ['result', 'cancelled'],
    ]);
  });

  test('a client that disconnects leaves nothing waiting', async () => {
    const id = await submit(hanging);
    const stop = new AbortController();
    const first = await readEvents(id, (seen) => seen.events.length >= 1, stop.signal);
    expect(first.ended).toBe(false);
    expect(stack.services.jobWatcher.waitingClients).toBe(1);
    stop.abort();
    await expect.poll(() => stack.services.jobWatcher.waitingClients, { timeout: 10_000 }).toBe(0);
    expect(stack.services.jobWatcher.watchedJobs).toBe(0);
    const missing = await fetch(`${stack.apiUrl}/v1/jobs/job_${'0'.repeat(32)}/events`, {
      headers: headers(),
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    await fetch(`${stack.apiUrl}/v1/jobs/${id}/cancel`, { method: 'POST', headers: headers() });
  });
});

describe('cost', () => {
  test('40 waiting clients on 2 jobs: one read each and one shared query per interval', async () => {
    const ids = [await submit('cost one'), await submit('cost two')];
    cosmos.reset();
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        index % 4 === 3
          ? readEvents(ids[index % 2]!).then(({ events }) =>
              events.at(-1)?.event === 'result' ? 'ok' : 'no',
            )
          : getJob(ids[index % 2]!, '?wait=30').then((job) => (job.status === 'succeeded' ? 'ok' : 'no')),
      ),
    );
    const elapsedMs = performance.now() - started;
    expect(answers.every((answer) => answer === 'ok')).toBe(true);
    const jobs = cosmos.operations().filter((op) => op.container === 'jobs');
    const reads = jobs.filter((op) => op.kind === 'pointRead');
    const polls = jobs.filter((op) => op.kind === 'query' && op.target.includes('c.id IN ('));
    expect(reads).toHaveLength(40);
    // One query per interval for both jobs and all 40 clients (never one per client or per job).
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / INTERVAL_MS) + 1);
    expect(jobs.filter((op) => op.kind !== 'pointRead' && op.kind !== 'query')).toEqual([]);
    // The front door's own (API key records, cached per instance for a few seconds): not per waiting second.
    const others = cosmos.operations().filter((op) => op.container !== 'jobs');
    console.log(
      `40 clients on 2 jobs for ${Math.round(elapsedMs)} ms: ${reads.length} point reads, ${polls.length} shared queries (interval ${INTERVAL_MS} ms); other containers: ${others.map((op) => `${op.container} ${op.kind}`).join(', ') || 'none'}`,
    );
  });
});
