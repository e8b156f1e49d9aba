/**
 * Cost regression guard (issue 8): the Cosmos DB and Service Bus operations one job costs are
 * deterministic on the happy path, so they are asserted exactly. The real SDK clients are counted
 * (bench/instrument/*) while jobs run through the whole local stack; bench/cost.ts reports the same
 * counts with the throughput ceilings they imply. A change that adds a read, a write, a query or a
 * message to every job fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { measureCost, type CostMeasurement } from '../../bench/cost-measure.js';
import { STAGE_QUEUES, summarizeCost, type CostSummary } from '../../bench/cost-summary.js';

const JOBS = 5;
let measured: CostMeasurement;
let http: CostSummary;
let queue: CostSummary;

beforeAll(async () => {
  measured = await measureCost({ jobs: JOBS, timeoutMs: 15_000 });
  http = summarizeCost(measured.http);
  queue = summarizeCost(measured.queue);
}, 60_000);

describe('every job succeeds and is delivered once', () => {
  it('finishes all jobs of both front doors', () => {
    expect(http.succeeded).toBe(JOBS);
    expect(queue.succeeded).toBe(JOBS);
  });

  it('delivers every message once (delivery count 0), with no other settlement', () => {
    for (const summary of [http, queue]) {
      expect(summary.firstDeliveries).toBe(summary.receives);
      expect(Object.keys(summary.serviceBusTotals).sort()).toEqual(['complete', 'receive', 'send']);
    }
  });
});

describe('Cosmos DB per job (the job document)', () => {
  it('creates once, reads once and replaces once, whichever the front door', () => {
    for (const summary of [http, queue]) {
      expect(summary.byCategory['job document']).toEqual({ create: 1, pointRead: 1, replace: 1 });
      expect(summary.pipeline.writes).toBe(2);
      expect(summary.pipeline.pointReads).toBe(1);
    }
  });

  it('runs one query per job, in deliver (listing the tenant webhook endpoints), and no other', () => {
    // Over the issue's target of 0 queries: reported as such in docs/benchmarks.md.
    expect(queue.pipeline.queries).toBe(1);
    expect(Object.keys(queue.queries)).toEqual([expect.stringMatching(/^webhooks: SELECT \* FROM c/)]);
    expect(queue.frontDoor.requests).toBe(0);
  });
});

describe('Cosmos DB per HTTP request (the front door)', () => {
  it('verifies the API key with one point read and takes a rate token with one write', () => {
    expect(http.byCategory['front door: API key']).toEqual({ pointRead: 1 });
    // One conditional patch per admitted request. The first request of a new minute window instead
    // finds no counter (404), creates it and reads the closed window's count once: a run that crosses
    // a minute boundary shows those three, never more.
    const rate = measured.http.cosmos.filter((op) => op.target.startsWith('ratelimit:'));
    const admitted = rate.filter((op) => (op.kind === 'patch' || op.kind === 'create') && op.status < 300);
    expect(admitted).toHaveLength(JOBS);
    expect(rate.length - admitted.length).toBeLessThanOrEqual(2);
  });

  it('counts jobs in flight with one query per request; tenant and budget come from caches', () => {
    const limitQueries = measured.http.cosmos.filter((op) => op.container === 'jobs' && op.kind === 'query');
    expect(limitQueries.filter((op) => op.target.includes('COUNT(1)'))).toHaveLength(JOBS);
    // The budget (10 s) and tenant record (30 s) caches were filled by the warm-up; a slow machine may
    // see one refresh during the run, never one per request.
    expect(limitQueries.filter((op) => op.target.includes('SUM(')).length).toBeLessThanOrEqual(1);
    const tenantReads = measured.http.cosmos.filter(
      (op) =>
        op.container === 'tenants' && !op.target.startsWith('apikey:') && !op.target.startsWith('ratelimit:'),
    );
    expect(tenantReads.length).toBeLessThanOrEqual(1);
  });
});

describe('Service Bus per job', () => {
  it('sends, receives and completes exactly once per stage hop', () => {
    const hops = (via: 'http' | 'queue') => STAGE_QUEUES.filter((q) => via === 'queue' || q !== 'intake');
    for (const summary of [http, queue]) {
      expect(Object.keys(summary.serviceBusByQueue).sort()).toEqual([...hops(summary.via)].sort());
      for (const name of hops(summary.via)) {
        expect(summary.serviceBusByQueue[name]).toEqual({ send: 1, receive: 1, complete: 1 });
      }
    }
  });

  it('makes no management or $management-link calls', () => {
    for (const summary of [http, queue]) {
      for (const kind of ['admin', 'schedule', 'renewLock', 'peek', 'abandon', 'deadLetter'] as const) {
        expect(summary.serviceBusTotals[kind] ?? 0).toBe(0);
      }
    }
  });
});
