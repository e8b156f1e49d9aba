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
};

function call(breaker: CircuitBreaker, ok: boolean, now: number, quarantined = false): void {
  const ticket = breaker.onCallStart(quarantined);
  if (ok) breaker.onSuccess(ticket, now);
  else breaker.onFailure(ticket, now);
}

/** Tripped by `minimumFailures` failures at `now`, then opened by a failed canary. */
function opened(now = 0): CircuitBreaker {
  const breaker = new CircuitBreaker(options);
  for (let i = 0; i < options.minimumFailures; i += 1) call(breaker, false, now);
  breaker.onCanary(breaker.takeCanary(now)!, 'failed', now);
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

describe('circuit breaker: judging by the window', () => {
  it('becomes suspect when the window holds at least minimumFailures and they reach the failure rate', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 4; i += 1) call(breaker, false, i);
    expect(breaker.state(10)).toBe('closed');
    call(breaker, false, 10);
    // Suspect: no job call passes until the canary has spoken.
    expect(breaker.state(10)).toBe('half-open');
    expect(breaker.canPass(10)).toBe(false);
    expect(breaker.availableAt(10)).toBe(1_010);
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

  it('is not tripped by consecutive failures alone when the window is mostly successes', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 20; i += 1) call(breaker, true, i);
    for (let i = 0; i < 15; i += 1) call(breaker, false, 100 + i);
    expect(breaker.state(200)).toBe('closed');
    // The 20th failure makes it half the window: now the deployment is suspect.
    for (let i = 0; i < 5; i += 1) call(breaker, false, 200 + i);
    expect(breaker.state(300)).toBe('half-open');
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
    const early = breaker.onCallStart();
    for (let i = 0; i < 5; i += 1) call(breaker, false, 1);
    breaker.onCanary(breaker.takeCanary(1)!, 'answered', 2);
    breaker.onFailure(early, 3);
    breaker.onSuccess(early, 3);
    expect(breaker.snapshot(3)).toMatchObject({ breaker: 'closed', recentCalls: 0 });
  });
});

describe('circuit breaker: the canary decides', () => {
  it('hands out one canary at a time, only when half-open', () => {
    const breaker = new CircuitBreaker(options);
    expect(breaker.takeCanary(0)).toBeUndefined();
    for (let i = 0; i < 5; i += 1) call(breaker, false, 0);
    const canary = breaker.takeCanary(0);
    expect(canary).toBeDefined();
    expect(breaker.takeCanary(1)).toBeUndefined();
    // Not sent (no quota): the next caller may send it.
    breaker.onCanary(canary!, 'not-sent', 2);
    expect(breaker.state(2)).toBe('half-open');
    expect(breaker.takeCanary(2)).toBeDefined();
  });

  it("closes with a fresh window when the deployment answers: the failures were the jobs'", () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 5; i += 1) call(breaker, false, 0);
    breaker.onCanary(breaker.takeCanary(0)!, 'answered', 100);
    expect(breaker.state(100)).toBe('closed');
    expect(breaker.canPass(100)).toBe(true);
    expect(breaker.snapshot(100)).toMatchObject({ recentCalls: 0 });
  });

  it('opens for openMs when the canary fails, then asks for another one', () => {
    const breaker = opened(0);
    expect(breaker.canPass(500)).toBe(false);
    expect(breaker.takeCanary(500)).toBeUndefined();
    expect(breaker.availableAt(500)).toBe(1_000);
    expect(breaker.state(1_000)).toBe('half-open');
    // Job calls started meanwhile (and failing) change nothing; only the canary does.
    call(breaker, false, 1_000);
    expect(breaker.state(1_000)).toBe('half-open');
    breaker.onCanary(breaker.takeCanary(1_000)!, 'answered', 1_100);
    expect(breaker.state(1_100)).toBe('closed');
  });

  it('ignores a late verdict from a canary of an earlier period', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 5; i += 1) call(breaker, false, 0);
    const stale = breaker.takeCanary(0)!;
    breaker.onCanary(stale, 'answered', 10);
    for (let i = 0; i < 5; i += 1) call(breaker, false, 20);
    breaker.onCanary(stale, 'failed', 30);
    expect(breaker.state(30)).toBe('half-open');
  });
});

describe('quarantine', () => {
  it('applies to a job on a retry, i.e. after a failure on every deployment it tried', () => {
    expect(isQuarantined({ attempt: 0 })).toBe(false);
    expect(isQuarantined({ attempt: 1 })).toBe(true);
  });
});
