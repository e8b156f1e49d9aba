/**
 * Cost regression guard (issue 8): the Cosmos DB and Service Bus operations one job costs are
 * deterministic on the happy path, so they are asserted exactly. The real SDK clients are counted
 * (bench/instrument/*) while jobs run through the whole local stack; bench/cost.ts reports the same
 * counts with the throughput ceilings they imply. A change that adds a read, a write, a query or a
 * message to every job fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { measureCost, type CostMeasurement } from '../../bench/cost-measure.js';
import { stageHops, summarizeCost, type CostSummary } from '../../bench/cost-summary.js';

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

describe('Cosmos DB per job (the job document, the kept completion)', () => {
  it('creates the job, keeps its completion and patches the terminal state, reading nothing', () => {
    // persist writes with one conditional patch whose response is the written document: no point read.
    // invoke keeps the completion before postprocess, so a redelivery never pays the model twice.
    for (const summary of [http, queue]) {
      expect(summary.byCategory['job document']).toEqual({ create: 1, patch: 1 });
      expect(summary.byCategory['kept completion']).toEqual({ create: 1 });
      expect(summary.pipeline.writes).toBe(3);
      expect(summary.pipeline.patches).toBe(1);
      expect(summary.pipeline.pointReads).toBe(0);
    }
  });

  it('runs no query per job past admission (the webhook endpoint list comes from a short cache)', () => {
    for (const summary of [http, queue]) {
      expect(summary.pipeline.queries).toBe(0);
    }
  });
});

describe.each(['http', 'queue'] as const)(
  'Cosmos DB per submission over %s (authentication, admission)',
  (via) => {
    // Upper bounds, not exact counts: the security domain may cache more (API key records, leased
    // rate-limit tokens) and cost less; what must not happen is a front door that costs more per request.
    const frontDoor = (predicate: (op: CostMeasurement['http']['cosmos'][number]) => boolean) =>
      measured[via].cosmos.filter(
        (op) => op.container !== 'webhooks' && op.container !== 'payloads' && predicate(op),
      );

    it('verifies the API key with at most one point read per request', () => {
      const reads = frontDoor((op) => op.target.startsWith('apikey:'));
      expect(reads.every((op) => op.kind === 'pointRead')).toBe(true);
      expect(reads.length).toBeLessThanOrEqual(JOBS);
    });

    it('takes rate tokens with at most one write per request (plus a new minute window once)', () => {
      // A run that crosses a minute boundary also finds no counter for the new window (404), creates it
      // and reads the closed window's count once: at most three more operations, never per request.
      const rate = frontDoor((op) => op.target.startsWith('ratelimit:'));
      const writes = rate.filter((op) => op.kind !== 'pointRead' && op.kind !== 'query');
      expect(writes.length).toBeLessThanOrEqual(JOBS + 2);
      expect(rate.length).toBeLessThanOrEqual(JOBS + 3);
    });

    it('runs at most one in-flight query per request; tenant record and budget come from caches', () => {
      const limitQueries = frontDoor((op) => op.container === 'jobs' && op.kind === 'query');
      expect(limitQueries.filter((op) => op.target.includes('COUNT(1)')).length).toBeLessThanOrEqual(JOBS);
      // The budget (10 s) and tenant record (30 s) caches were filled by the warm-up; a slow machine may
      // see one refresh during the run, never one per request.
      expect(limitQueries.filter((op) => !op.target.includes('COUNT(1)')).length).toBeLessThanOrEqual(1);
      const tenantReads = frontDoor(
        (op) =>
          op.container === 'tenants' &&
          !op.target.startsWith('apikey:') &&
          !op.target.startsWith('ratelimit:'),
      );
      expect(tenantReads.length).toBeLessThanOrEqual(1);
    });

    it('adds nothing to the job document (still 1 create, 1 patch)', () => {
      const summary = via === 'http' ? http : queue;
      expect(summary.byCategory['job document']).toEqual({ create: 1, patch: 1 });
    });
  },
);

describe('Service Bus per job', () => {
  it('sends, receives and completes exactly once per stage hop', () => {
    // The measured tenant has no webhook endpoints: persist skips `deliver`, so 3 hops over HTTP
    // (invoke, postprocess, persist) and 4 over the intake queue.
    expect(stageHops('http')).toHaveLength(3);
    expect(stageHops('queue')).toHaveLength(4);
    for (const summary of [http, queue]) {
      expect(Object.keys(summary.serviceBusByQueue).sort()).toEqual([...stageHops(summary.via)].sort());
      for (const name of stageHops(summary.via)) {
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
