/**
 * The job watcher (shared/watch) on the embedded Cosmos DB through the real SDK: a job that ends on this
 * host answers its waiters with no request; one that ends elsewhere (written by a store the watcher does
 * not wrap, as another instance would) is found by the shared poll, one query per interval whatever the
 * number of waiting clients; waits that stop (signal, timeout, close) leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosFinishedJobs } from '../../../shared/cosmos/finished-jobs.js';
import { CosmosJobStore } from '../../../shared/cosmos/job-store.js';
import type { JobDocument } from '../../../shared/jobs/job.js';
import type { TerminalFields } from '../../../shared/jobs/job-store.js';
import { JobWatcher, type FinishedJobsReader, type JobKey } from '../../../shared/watch/job-watcher.js';
import { watchedJobStore } from '../../../shared/watch/watched-job-store.js';
import { watchJob } from '../../../shared/watch/watch-job.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';

let cosmos: TestDatabase;
let store: CosmosJobStore;

beforeAll(async () => {
  cosmos = await startTestDatabase();
  store = new CosmosJobStore(cosmos.database.container('jobs'));
}, 60_000);

afterAll(async () => {
  await cosmos?.close();
});

function queued(tenantId: string, id: string): JobDocument {
  const at = new Date().toISOString();
  return {
    id,
    tenantId,
    status: 'queued',
    idempotencyKey: id,
    requestHash: 'h',
    request: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
    metadata: {},
    source: 'http',
    traceId: 't',
    createdAt: at,
    updatedAt: at,
  };
}

function succeeded(): TerminalFields {
  const at = new Date().toISOString();
  return {
    status: 'succeeded',
    updatedAt: at,
    completedAt: at,
    attempts: 1,
    ttl: 3600,
    result: { content: 'done' },
  } as TerminalFields;
}

/** The Cosmos reader, counting its queries and the ids each asked for. */
function countingReader(): FinishedJobsReader & { queries: JobKey[][] } {
  const reader = new CosmosFinishedJobs(cosmos.database.container('jobs'));
  const queries: JobKey[][] = [];
  return {
    queries,
    finished(keys) {
      queries.push([...keys]);
      return reader.finished(keys);
    },
  };
}

describe('JobWatcher', () => {
  it('answers the waiters of a job that ends on this host at once, with no query', async () => {
    const reader = countingReader();
    const watcher = new JobWatcher(reader, { intervalMs: 60_000 });
    const jobs = watchedJobStore(store, watcher);
    await jobs.create(queued('w1', 'job-local'));
    const waits = [1, 2, 3].map(() => watcher.waitForEnd({ tenantId: 'w1', id: 'job-local' }));
    expect(watcher.waitingClients).toBe(3);
    expect(watcher.watchedJobs).toBe(1);
    await jobs.completeIfOpen('w1', 'job-local', succeeded());
    const ended = await Promise.all(waits);
    expect(ended.map((job) => job?.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(ended[0]?.result?.content).toBe('done');
    expect(reader.queries).toHaveLength(0);
    expect(watcher.watchedJobs).toBe(0);
    watcher.close();
  });

  it('finds jobs that end elsewhere with one query per interval for all waiting clients', async () => {
    const reader = countingReader();
    const watcher = new JobWatcher(reader, { intervalMs: 200 });
    const ids = ['job-a', 'job-b', 'job-c'];
    for (const id of ids) await store.create(queued('w2', id));
    // 30 clients on three jobs, and one job of another tenant with the same id that stays queued.
    await store.create(queued('w3', 'job-a'));
    const waits = ids.flatMap((id) =>
      Array.from({ length: 10 }, () => watcher.waitForEnd({ tenantId: 'w2', id })),
    );
    const other = watcher.waitForEnd({ tenantId: 'w3', id: 'job-a' }, { timeoutMs: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const whileQueued = reader.queries.length;
    // Polls while every job is queued: one per interval (about 3 in 700 ms), never one per client.
    expect(whileQueued).toBeGreaterThanOrEqual(1);
    expect(whileQueued).toBeLessThanOrEqual(4);
    expect(reader.queries.every((keys) => keys.length === 4)).toBe(true);
    // Another instance ends them: this watcher's store is not told.
    for (const id of ids) await store.completeIfOpen('w2', id, succeeded());
    const ended = await Promise.all(waits);
    expect(ended.every((job) => job?.status === 'succeeded')).toBe(true);
    expect(await other).toBeUndefined();
    expect(watcher.watchedJobs).toBe(0);
    const after = reader.queries.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reader.queries.length).toBe(after);
    watcher.close();
  });

  it('asks for at most batchSize ids per query', async () => {
    const reader = countingReader();
    const watcher = new JobWatcher(reader, { intervalMs: 100, batchSize: 2 });
    const stop = new AbortController();
    for (const id of ['b1', 'b2', 'b3', 'b4', 'b5'])
      void watcher.waitForEnd({ tenantId: 'w4', id }, { signal: stop.signal });
    await expect.poll(() => reader.queries.length).toBeGreaterThanOrEqual(3);
    expect(reader.queries.slice(0, 3).map((keys) => keys.length)).toEqual([2, 2, 1]);
    stop.abort();
    await expect.poll(() => watcher.watchedJobs).toBe(0);
    watcher.close();
  });

  it('drops a wait on abort, on timeout and on close', async () => {
    const watcher = new JobWatcher(countingReader(), { intervalMs: 60_000 });
    const stop = new AbortController();
    const aborted = watcher.waitForEnd({ tenantId: 'w5', id: 'x' }, { signal: stop.signal });
    const timed = watcher.waitForEnd({ tenantId: 'w5', id: 'y' }, { timeoutMs: 50 });
    const closed = watcher.waitForEnd({ tenantId: 'w5', id: 'z' });
    expect(watcher.waitingClients).toBe(3);
    stop.abort();
    expect(await aborted).toBeUndefined();
    expect(await timed).toBeUndefined();
    expect(watcher.waitingClients).toBe(1);
    watcher.close();
    expect(await closed).toBeUndefined();
    expect(watcher.waitingClients).toBe(0);
    expect(await watcher.waitForEnd({ tenantId: 'w5', id: 'z' })).toBeUndefined();
  });

  it('holds at most maxWaitingPerTenant clients of one tenant; others still wait', async () => {
    const watcher = new JobWatcher(countingReader(), { intervalMs: 60_000, maxWaitingPerTenant: 2 });
    const stop = new AbortController();
    const first = watcher.waitForEnd({ tenantId: 'flood', id: 'a' }, { signal: stop.signal });
    void watcher.waitForEnd({ tenantId: 'flood', id: 'b' }, { signal: stop.signal });
    // The third client of that tenant is answered at once, and is not held.
    expect(await watcher.waitForEnd({ tenantId: 'flood', id: 'c' })).toBeUndefined();
    expect(watcher.waitingClients).toBe(2);
    const other = watcher.waitForEnd({ tenantId: 'calm', id: 'd' }, { signal: stop.signal });
    expect(watcher.waitingClients).toBe(3);
    // A wait that ends frees its place.
    stop.abort();
    expect(await first).toBeUndefined();
    expect(await other).toBeUndefined();
    const again = watcher.waitForEnd({ tenantId: 'flood', id: 'c' }, { timeoutMs: 10 });
    expect(watcher.waitingClients).toBe(1);
    expect(await again).toBeUndefined();
    watcher.close();
  });
});

describe('watchJob', () => {
  it('reads the job once; a finished one ends at once and leaves no wait', async () => {
    const watcher = new JobWatcher(countingReader(), { intervalMs: 60_000 });
    const jobs = watchedJobStore(store, watcher);
    await jobs.create(queued('w6', 'done-before'));
    await jobs.completeIfOpen('w6', 'done-before', succeeded());
    const watched = await watchJob({ jobs, jobWatcher: watcher }, { tenantId: 'w6', id: 'done-before' }, {});
    expect(watched.job.status).toBe('succeeded');
    expect((await watched.end)?.status).toBe('succeeded');
    expect(watcher.waitingClients).toBe(0);
    await expect(
      watchJob({ jobs, jobWatcher: watcher }, { tenantId: 'w6', id: 'missing' }, {}),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(watcher.waitingClients).toBe(0);
    watcher.close();
  });
});
