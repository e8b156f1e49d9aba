/** The circuit breaker judges a deployment by its failure rate over a window, never by one job. */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerOptions } from '../../../shared/model/circuit-breaker.js';
import { OutcomeWindow } from '../../../shared/model/outcome-window.js';
import { isQuarantined } from '../../../shared/model/quarantine.js';

const options: BreakerOptions = {
  minimumFailures: 5,
  failureRate: 0.5,
  windowMs: 10_000,
  openMs: 1_000,
  probes: 3,
};

function call(breaker: CircuitBreaker, ok: boolean, now: number, quarantined = false): void {
  const ticket = breaker.onCallStart(now, quarantined);
  if (ok) breaker.onSuccess(ticket, now);
  else breaker.onFailure(ticket, now);
}

/** Closed, then opened by `minimumFailures` failures in a row at `now`. */
function opened(now = 0, overrides: Partial<BreakerOptions> = {}): CircuitBreaker {
  const breaker = new CircuitBreaker({ ...options, ...overrides });
  for (let i = 0; i < (overrides.minimumFailures ?? options.minimumFailures); i += 1)
    call(breaker, false, now);
  expect(breaker.state(now)).toBe('open');
  return breaker;
}

describe('outcome window', () => {
  it('counts outcomes of the last window only, in tenth-of-a-window buckets', () => {
    const window = new OutcomeWindow(1_000);
    window.record(false, 0);
    window.record(true, 50);
    window.record(true, 950);
    expect(window.counts(999)).toEqual({ successes: 2, failures: 1 });
    // The first bucket (0-99 ms) has left the window; the one at 900-999 ms has not.
    expect(window.counts(1_000)).toEqual({ successes: 1, failures: 0 });
    expect(window.counts(1_899)).toEqual({ successes: 1, failures: 0 });
    expect(window.counts(1_900)).toEqual({ successes: 0, failures: 0 });
  });

  it('reuses a bucket slot a window later without carrying its old counts', () => {
    const window = new OutcomeWindow(1_000);
    window.record(false, 10);
    window.record(false, 1_010);
    expect(window.counts(1_010)).toEqual({ successes: 0, failures: 1 });
    window.clear();
    expect(window.counts(1_010)).toEqual({ successes: 0, failures: 0 });
  });
});

describe('circuit breaker: closed', () => {
  it('opens when the window holds at least minimumFailures and they reach the failure rate', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 4; i += 1) call(breaker, false, i);
    expect(breaker.state(10)).toBe('closed');
    call(breaker, false, 10);
    expect(breaker.state(10)).toBe('open');
    expect(breaker.canPass(500)).toBe(false);
    expect(breaker.availableAt(500)).toBe(1_010);
  });

  it('stays closed while one call in five fails, however many failures pile up', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 1_000; i += 1) {
      call(breaker, i % 5 !== 0, i * 5);
      expect(breaker.state(i * 5)).toBe('closed');
    }
    expect(breaker.snapshot(5_000)).toMatchObject({
      breaker: 'closed',
      recentFailures: 200,
      recentCalls: 1_000,
    });
  });

  it('is not opened by consecutive failures alone when the window is mostly successes', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 20; i += 1) call(breaker, true, i);
    for (let i = 0; i < 15; i += 1) call(breaker, false, 100 + i);
    expect(breaker.state(200)).toBe('closed');
    // The 20th failure makes it half the window: the deployment is now judged unhealthy.
    for (let i = 0; i < 5; i += 1) call(breaker, false, 200 + i);
    expect(breaker.state(300)).toBe('open');
  });

  it('forgets failures older than the window', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 4; i += 1) call(breaker, false, 0);
    call(breaker, false, 11_000);
    expect(breaker.state(11_000)).toBe('closed');
    expect(breaker.snapshot(11_000)).toMatchObject({ recentFailures: 1 });
  });

  it("never counts a quarantined job's failures, but counts its successes", () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 50; i += 1) call(breaker, false, i, true);
    expect(breaker.snapshot(100)).toMatchObject({ breaker: 'closed', recentFailures: 0, recentCalls: 0 });
    call(breaker, true, 100, true);
    expect(breaker.snapshot(100)).toMatchObject({ recentCalls: 1 });
  });

  it('ignores outcomes of calls started before the circuit last changed state', () => {
    const breaker = new CircuitBreaker(options);
    const early = breaker.onCallStart(0);
    for (let i = 0; i < 5; i += 1) call(breaker, false, 1);
    expect(breaker.state(2)).toBe('open');
    breaker.onSuccess(early, 2);
    breaker.onFailure(early, 2);
    expect(breaker.snapshot(2)).toMatchObject({ breaker: 'open', recentCalls: 0 });
  });
});

describe('circuit breaker: half-open probes', () => {
  it('lets `probes` calls through after openMs and closes when most of them succeed', () => {
    const breaker = opened();
    expect(breaker.state(1_000)).toBe('half-open');
    const tickets = [0, 1, 2].map(() => breaker.onCallStart(1_000));
    expect(tickets.every((ticket) => ticket.probe)).toBe(true);
    expect(breaker.canPass(1_000)).toBe(false);
    expect(breaker.availableAt(1_000)).toBe(2_000);
    breaker.onFailure(tickets[0]!, 1_100);
    expect(breaker.state(1_100)).toBe('half-open');
    breaker.onSuccess(tickets[1]!, 1_150);
    expect(breaker.state(1_150)).toBe('half-open');
    breaker.onSuccess(tickets[2]!, 1_200);
    expect(breaker.state(1_200)).toBe('closed');
    // A fresh window: the failures that opened it do not count again.
    expect(breaker.snapshot(1_200)).toMatchObject({ recentCalls: 0 });
  });

  it('does not re-open because one probe landed on a failing job', () => {
    const breaker = opened();
    call(breaker, false, 1_000);
    expect(breaker.state(1_000)).toBe('half-open');
    expect(breaker.canPass(1_000)).toBe(true);
  });

  it('re-opens when most probes fail', () => {
    const breaker = opened();
    call(breaker, false, 1_000);
    call(breaker, false, 1_010);
    expect(breaker.state(1_010)).toBe('open');
    expect(breaker.availableAt(1_010)).toBe(2_010);
  });

  it("frees a quarantined job's failed probe slot without counting it, and counts its success", () => {
    const breaker = opened();
    for (let i = 0; i < 10; i += 1) call(breaker, false, 1_000, true);
    expect(breaker.state(1_000)).toBe('half-open');
    expect(breaker.canPass(1_000)).toBe(true);
    call(breaker, true, 1_000, true);
    call(breaker, true, 1_000);
    expect(breaker.state(1_000)).toBe('closed');
  });

  it('frees the probe slot on a neutral outcome such as a 429', () => {
    const breaker = opened();
    const tickets = [0, 1, 2].map(() => breaker.onCallStart(1_000));
    expect(breaker.canPass(1_000)).toBe(false);
    breaker.onNeutral(tickets[0]!);
    expect(breaker.canPass(1_000)).toBe(true);
  });

  it('with a single probe, behaves like the classic breaker', () => {
    const breaker = opened(0, { probes: 1 });
    call(breaker, false, 1_000);
    expect(breaker.state(1_000)).toBe('open');
    call(breaker, true, 2_000);
    expect(breaker.state(2_000)).toBe('closed');
  });
});

describe('quarantine', () => {
  it('applies to a job on a retry, i.e. after a failure on every deployment it tried', () => {
    expect(isQuarantined({ attempt: 0 })).toBe(false);
    expect(isQuarantined({ attempt: 1 })).toBe(true);
  });
});
