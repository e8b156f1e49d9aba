/**
 * Per-tenant limits: token bucket arithmetic, the in-memory limiter, jobs in flight, the daily budget
 * with both policies, size and message count limits, and the order admission applies them in.
 */
import { describe, expect, test } from 'vitest';
import { refusalOf } from '../../fakes/refusal.js';
import {
  ForbiddenError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationError,
} from '../../../shared/errors/index.js';
import { admitSubmission, type AdmissionDeps } from '../../../shared/tenancy/admission.js';
import {
  CachedTokenUsageReader,
  checkDailyBudget,
  nextUtcMidnightMs,
} from '../../../shared/tenancy/budget.js';
import { checkSubmissionRate } from '../../../shared/tenancy/rate-limiter.js';
import { InMemoryRateLimiter } from '../../fakes/memory-rate-limiter.js';
import { currentWindowCap, retryAfterMs, windowAt } from '../../../shared/tenancy/sliding-window.js';
import { tenantFixture } from '../../security/tenants-fixture.js';

const T0 = Date.parse('2026-11-25T20:00:00Z');

describe('sliding window arithmetic', () => {
  test('the cap carries the previous window’s weight and decays it linearly', () => {
    expect(currentWindowCap(60, 0, 0)).toBe(60);
    expect(currentWindowCap(60, 60, 0)).toBe(0);
    expect(currentWindowCap(60, 60, 30_000)).toBe(30);
    expect(currentWindowCap(60, 60, 59_999)).toBe(60);
    expect(currentWindowCap(10, 100, 0)).toBe(0);
  });

  test('retry-after points at the moment one more submission fits', () => {
    // 60 carried from the previous window, 30 used now at t=30 s: the next slot opens at t=31 s.
    const wait = retryAfterMs(60, 60, 30, 30_000);
    expect(wait).toBeGreaterThan(0);
    expect(currentWindowCap(60, 60, 30_000 + wait)).toBeGreaterThan(30);
    expect(currentWindowCap(60, 60, 30_000 + wait - 2)).toBeLessThanOrEqual(30);
    // A window full on its own: come back when it has closed.
    expect(retryAfterMs(60, 0, 60, 45_000)).toBe(15_001);
    expect(windowAt(T0 + 61_000)).toEqual({
      index: Math.floor((T0 + 61_000) / 60_000),
      elapsedMs: (T0 + 61_000) % 60_000,
    });
  });

  test('no double burst at a window boundary', async () => {
    const limiter = new InMemoryRateLimiter();
    const start = Math.floor(T0 / 60_000) * 60_000 + 59_000; // one second before a boundary
    let admitted = 0;
    // 100 attempts just before the boundary, 100 just after it.
    for (let i = 0; i < 200; i += 1) {
      if ((await limiter.consume('t', 60, i < 100 ? start : start + 1_500)).allowed) admitted += 1;
    }
    // A fixed window would admit 120 here; the sliding estimate admits the limit plus the sliver of
    // the previous window that has decayed (60 * 1.5 s / 60 s, rounded up).
    expect(admitted).toBeLessThanOrEqual(62);
    expect(admitted).toBeGreaterThanOrEqual(60);
  });
});

describe('submission rate limit', () => {
  test('429 with retryAfterMs past the limit, per tenant', async () => {
    const limiter = new InMemoryRateLimiter();
    for (let i = 0; i < 3; i += 1) await checkSubmissionRate(limiter, 'team-a', 3, T0);
    const error = await refusalOf(checkSubmissionRate(limiter, 'team-a', 3, T0));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(60_000 - (T0 % 60_000) + 1);
    // Another tenant's bucket is untouched.
    await expect(checkSubmissionRate(limiter, 'team-b', 3, T0)).resolves.toBeUndefined();
  });
});

describe('daily token budget', () => {
  const usage = (tokens: number) => ({ tokensUsedSince: () => Promise.resolve(tokens) });

  test('under budget: admit', async () => {
    await expect(
      checkDailyBudget(usage(999), 't1', { dailyTokenBudget: 1000, budgetPolicy: 'refuse' }, T0),
    ).resolves.toEqual({ kind: 'admit' });
  });

  test('spent with policy refuse: 429 until the next UTC midnight', async () => {
    const error = await refusalOf(
      checkDailyBudget(usage(1000), 't1', { dailyTokenBudget: 1000, budgetPolicy: 'refuse' }, T0),
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(4 * 3600_000);
  });

  test('spent with policy hold: held until the next UTC midnight', async () => {
    await expect(
      checkDailyBudget(usage(5000), 't1', { dailyTokenBudget: 1000, budgetPolicy: 'hold' }, T0),
    ).resolves.toEqual({
      kind: 'hold',
      untilMs: Date.parse('2026-11-26T00:00:00Z'),
      usedTokens: 5000,
    });
    expect(nextUtcMidnightMs(Date.parse('2026-12-31T23:59:59Z'))).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });

  test('usage reads are cached per tenant for the ttl and start again each day', async () => {
    const calls: string[] = [];
    let clock = T0;
    const cached = new CachedTokenUsageReader(
      {
        tokensUsedSince: (t, since) => (
          calls.push(`${t}@${since.toISOString()}`),
          Promise.resolve(calls.length)
        ),
      },
      10_000,
      () => clock,
    );
    const day = new Date('2026-11-25T00:00:00Z');
    expect(await cached.tokensUsedSince('a', day)).toBe(1);
    expect(await cached.tokensUsedSince('a', day)).toBe(1);
    expect(await cached.tokensUsedSince('b', day)).toBe(2);
    clock += 10_000;
    expect(await cached.tokensUsedSince('a', day)).toBe(3);
    expect(await cached.tokensUsedSince('a', new Date('2026-11-26T00:00:00Z'))).toBe(4);
  });

  test('concurrent misses for one tenant share one usage read', async () => {
    let reads = 0;
    let release: (value: number) => void = () => {};
    const cached = new CachedTokenUsageReader(
      {
        tokensUsedSince: () => {
          reads += 1;
          return new Promise<number>((resolve) => (release = resolve));
        },
      },
      10_000,
      () => T0,
    );
    const day = new Date('2026-11-25T00:00:00Z');
    const answers = Promise.all(Array.from({ length: 16 }, () => cached.tokensUsedSince('a', day)));
    release(42);
    expect(await answers).toEqual(Array.from({ length: 16 }, () => 42));
    expect(reads).toBe(1);
    expect(await cached.tokensUsedSince('a', day)).toBe(42);
    expect(reads).toBe(1);
  });
});

describe('admitSubmission', () => {
  function deps(inFlight = 0, used = 0): AdmissionDeps & { limiter: InMemoryRateLimiter } {
    const limiter = new InMemoryRateLimiter();
    return {
      limiter,
      rateLimiter: limiter,
      inFlight: { countInFlight: () => Promise.resolve(inFlight) },
      usage: { tokensUsedSince: () => Promise.resolve(used) },
    };
  }
  const ok = { model: 'gpt-4o-mini', messageCount: 2, requestBytes: 500 };

  test('admits a submission within every limit', async () => {
    await expect(admitSubmission(tenantFixture('team-a'), ok, deps(), T0)).resolves.toEqual({
      kind: 'admit',
    });
  });

  test('refusals are values with a reason: suspended, model, size, messages, in flight', async () => {
    const t = tenantFixture('team-a', {
      quotas: { maxRequestBytes: 1024, maxMessages: 2, maxJobsInFlight: 3 },
    });
    const reasons = await Promise.all([
      admitSubmission({ ...t, status: 'suspended' }, ok, deps(), T0),
      admitSubmission(t, { ...ok, model: 'gpt-5' }, deps(), T0),
      admitSubmission(t, { ...ok, requestBytes: 1025 }, deps(), T0),
      admitSubmission(t, { ...ok, messageCount: 3 }, deps(), T0),
      admitSubmission(t, ok, deps(3), T0),
    ]);
    expect(reasons.map((d) => (d.kind === 'refuse' ? d.reason : d.kind))).toEqual([
      'tenant_disabled',
      'not_allowed',
      'too_large',
      'not_allowed',
      'rate_limited',
    ]);
  });

  test('refusals carry their HTTP errors: suspended 403, model 400, size 413, messages 400, in flight 429', async () => {
    const t = tenantFixture('team-a', {
      quotas: { maxRequestBytes: 1024, maxMessages: 2, maxJobsInFlight: 3 },
    });
    expect(await refusalOf(admitSubmission({ ...t, status: 'suspended' }, ok, deps(), T0))).toBeInstanceOf(
      ForbiddenError,
    );
    expect(await refusalOf(admitSubmission(t, { ...ok, model: 'gpt-5' }, deps(), T0))).toBeInstanceOf(
      ValidationError,
    );
    expect(await refusalOf(admitSubmission(t, { ...ok, requestBytes: 1025 }, deps(), T0))).toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect(await refusalOf(admitSubmission(t, { ...ok, messageCount: 3 }, deps(), T0))).toBeInstanceOf(
      ValidationError,
    );
    const inFlight = await refusalOf(admitSubmission(t, ok, deps(3), T0));
    expect(inFlight).toBeInstanceOf(RateLimitedError);
    expect((inFlight as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    await expect(admitSubmission(t, ok, deps(2), T0)).resolves.toEqual({ kind: 'admit' });
  });

  test('a wildcard tenant may use any alias', async () => {
    await expect(
      admitSubmission(
        tenantFixture('t1', { allowedModels: ['*'] }),
        { ...ok, model: 'anything' },
        deps(),
        T0,
      ),
    ).resolves.toEqual({ kind: 'admit' });
  });

  test('requests refused by free checks do not consume rate tokens', async () => {
    const d = deps();
    const t = tenantFixture('team-a', { quotas: { submissionsPerMinute: 1, maxMessages: 1 } });
    expect(await refusalOf(admitSubmission(t, { ...ok, messageCount: 5 }, d, T0))).toBeInstanceOf(
      ValidationError,
    );
    await expect(admitSubmission(t, { ...ok, messageCount: 1 }, d, T0)).resolves.toEqual({ kind: 'admit' });
    expect(await refusalOf(admitSubmission(t, { ...ok, messageCount: 1 }, d, T0))).toBeInstanceOf(
      RateLimitedError,
    );
  });

  test('budget policy hold returns a hold decision instead of refusing', async () => {
    const t = tenantFixture('team-a', { quotas: { dailyTokenBudget: 100, budgetPolicy: 'hold' } });
    await expect(admitSubmission(t, ok, deps(0, 100), T0)).resolves.toMatchObject({ kind: 'hold' });
  });
});
