/** Unit tests of the model layer's pure parts (the breaker has its own file): budget, router, error classes, headers, cost. */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, RetryAfterError } from '../../../shared/errors/index.js';
import { parseConfig } from '../../../shared/config/index.js';
import { consumesAttempt, decideModelRetry } from '../../../shared/model/attempt-policy.js';
import { CircuitBreaker } from '../../../shared/model/circuit-breaker.js';
import { classifyModelFailure, toPlatformError } from '../../../shared/model/failure.js';
import { QuotaBudget } from '../../../shared/model/quota-budget.js';
import { parseRateLimit, parseRetryAfterMs } from '../../../shared/model/rate-limit-headers.js';
import { orderByPriorityAndWeight, planRoute, type RoutedDeployment } from '../../../shared/model/router.js';
import { DEFAULT_PRICE_TABLE, DeploymentSettingsSchema } from '../../../shared/model/settings.js';
import { countPromptTokens, quotaCost } from '../../../shared/model/tokens.js';
import { costOf } from '../../../shared/model/usage.js';

const headers = (values: Record<string, string>) => new Headers(values);

describe('quota budget', () => {
  const budget = (overrides: Partial<ConstructorParameters<typeof QuotaBudget>[0]> = {}) =>
    new QuotaBudget({
      tokensPerMinute: 60_000,
      requestsPerMinute: 600,
      tokenWindowMs: 1_000,
      requestWindowMs: 1_000,
      share: 1,
      expiryMarginMs: 0,
      ...overrides,
    });

  it('admits up to the window budget and says when the next request fits', () => {
    const b = budget(); // 1,000 tokens and 10 requests per 1 s window
    expect(b.waitMs(600, 0)).toBe(0);
    b.reserve(600, 0);
    expect(b.waitMs(400, 100)).toBe(0);
    b.reserve(400, 100);
    expect(b.waitMs(1, 200)).toBe(800); // the first charge leaves the window at 1,000
    expect(b.waitMs(500, 200)).toBe(800);
    expect(b.waitMs(700, 200)).toBe(900); // needs both charges gone
    expect(b.waitMs(1, 1_000)).toBe(0);
  });

  it('enforces requests per window as well as tokens', () => {
    const b = budget({ requestsPerMinute: 120 }); // 2 requests per window
    b.reserve(1, 0);
    b.reserve(1, 0);
    expect(b.waitMs(1, 10)).toBe(990);
  });

  it('applies the instance share', () => {
    const b = budget({ share: 0.25 }); // 250 tokens per window for this instance
    b.reserve(200, 0);
    expect(b.waitMs(100, 0)).toBeGreaterThan(0);
    expect(b.waitMs(50, 0)).toBe(0);
  });

  it('admits a request larger than a whole window into an empty window only', () => {
    const b = budget();
    expect(b.waitMs(5_000, 0)).toBe(0);
    b.reserve(5_000, 0);
    expect(b.waitMs(5_000, 10)).toBe(990);
  });

  it('cools down for retry-after on a 429 and shrinks its share, then grows back on success', () => {
    const b = budget();
    b.onThrottled(2_000, 0);
    expect(b.waitMs(1, 0)).toBe(2_000);
    const shrunk = b.snapshot(0).adaptiveFactor;
    expect(shrunk).toBeLessThan(1);
    const r = b.reserve(10, 2_000);
    b.onResponse(r, {}, 2_010);
    expect(b.snapshot(2_010).adaptiveFactor).toBeGreaterThan(shrunk);
  });

  it('learns usage by other instances from x-ratelimit-remaining-tokens', () => {
    const b = budget();
    const r = b.reserve(100, 0);
    // The service saw 700 of 1,000 window tokens used (it reports per-minute units): 600 are not ours.
    b.onResponse(r, { remainingTokens: 300 * 60 }, 50);
    expect(b.snapshot(50).usedTokens).toBe(700);
    expect(b.waitMs(400, 60)).toBeGreaterThan(0);
    expect(b.waitMs(300, 60)).toBe(0);
  });

  it('ignores missing and -1 headers and small timing noise', () => {
    const b = budget();
    const r = b.reserve(100, 0);
    b.onResponse(r, parseRateLimit(headers({ 'x-ratelimit-remaining-tokens': '-1' })), 10);
    b.onResponse(r, {}, 10);
    b.onResponse(r, { remainingTokens: 880 * 60 }, 10); // 20 tokens more than ours: noise
    expect(b.snapshot(10).usedTokens).toBe(100);
  });

  it('keeps its own share separate from what others use', () => {
    const b = budget({ share: 0.5 }); // own 500, deployment 1,000
    const r = b.reserve(100, 0);
    b.onResponse(r, { remainingTokens: 500 * 60 }, 10); // others used 400
    expect(b.waitMs(400, 20)).toBe(0); // own 500 and total 900 both fit
    expect(b.waitMs(450, 20)).toBeGreaterThan(0); // total would be 1,050
  });
});

describe('quota budget share from the fleet', () => {
  const budget = () =>
    new QuotaBudget({
      tokensPerMinute: 60_000,
      requestsPerMinute: 600,
      tokenWindowMs: 1_000,
      requestWindowMs: 1_000,
      share: 1,
      expiryMarginMs: 0,
      zeroShareRetryMs: 250,
    });

  it('paces to a leased share and lets even an empty window admit nothing at share 0', () => {
    const b = budget(); // 1,000 tokens per 1 s window
    b.setShare(0.3);
    b.reserve(250, 0);
    expect(b.waitMs(100, 10)).toBe(990); // 350 > 300
    expect(b.waitMs(50, 10)).toBe(0);
    b.setShare(0);
    expect(b.waitMs(1, 2_000)).toBe(250); // asks again when the share may have grown
    b.setShare(1);
    expect(b.waitMs(900, 2_000)).toBe(0);
  });

  it('says how much of the quota its own requests still occupy at a later time', () => {
    const b = budget();
    b.reserve(400, 0);
    b.reserve(200, 500);
    expect(b.ownUsageAt(600)).toBeCloseTo(0.6);
    expect(b.ownUsageAt(1_000)).toBeCloseTo(0.2); // the first charge has left the window
    expect(b.ownUsageAt(1_500)).toBe(0);
  });
});

describe('router', () => {
  const routed = (
    name: string,
    priority: number,
    weight = 1,
    opts: { open?: boolean; full?: boolean } = {},
  ) => {
    const breaker = new CircuitBreaker({ minimumFailures: 1, openMs: 5_000 });
    if (opts.open) {
      breaker.onFailure(breaker.onCallStart(), 0);
      breaker.onCanary(breaker.takeCanary(0)!, 'failed', 0);
    }
    const budget = new QuotaBudget({
      tokensPerMinute: 60_000,
      requestsPerMinute: 600,
      tokenWindowMs: 1_000,
      requestWindowMs: 1_000,
      share: 1,
      expiryMarginMs: 0,
    });
    if (opts.full) budget.reserve(1_000, 0);
    return {
      settings: DeploymentSettingsSchema.parse({ name, endpoint: 'http://x', tpm: 60_000, priority, weight }),
      endpoint: { name, call: () => Promise.reject(new Error('not called')) },
      breaker,
      budget,
    } satisfies RoutedDeployment;
  };

  it('orders by priority, skipping open circuits and full budgets', () => {
    const plan = planRoute(
      [routed('c', 2), routed('a', 0, 1, { open: true }), routed('b', 1), routed('d', 0, 1, { full: true })],
      10,
      100,
    );
    expect(plan.kind === 'go' && plan.order.map((d) => d.settings.name)).toEqual(['b', 'c']);
  });

  it('waits for the earliest deployment when none can take the request', () => {
    const plan = planRoute([routed('a', 0, 1, { open: true }), routed('b', 1, 1, { full: true })], 10, 100);
    expect(plan).toEqual({ kind: 'wait', waitMs: 900, reason: 'quota_paced' });
    const open = planRoute([routed('a', 0, 1, { open: true })], 10, 100);
    expect(open).toEqual({ kind: 'wait', waitMs: 4_900, reason: 'circuit_open' });
  });

  it('splits traffic by weight within a priority', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    const pool = [routed('heavy', 0, 3), routed('light', 0, 1)];
    let heavy = 0;
    for (let i = 0; i < 4_000; i += 1)
      if (orderByPriorityAndWeight(pool, random)[0]!.settings.name === 'heavy') heavy += 1;
    expect(heavy / 4_000).toBeGreaterThan(0.7);
    expect(heavy / 4_000).toBeLessThan(0.8);
  });
});

describe('error classes', () => {
  const apiError = (status: number, body: object, h: Record<string, string> = {}) =>
    APIError.generate(status, { error: body }, undefined, headers(h));

  it('maps content filter, context length and other 400s to permanent failures with reasons', () => {
    const filtered = classifyModelFailure(
      apiError(400, { code: 'content_filter', message: 'filtered', innererror: {} }),
      'd',
    );
    expect(filtered).toMatchObject({ kind: 'permanent', reason: 'content_filter' });
    const long = classifyModelFailure(
      apiError(400, { code: 'context_length_exceeded', message: 'too long' }),
      'd',
    );
    expect(long).toMatchObject({ kind: 'permanent', reason: 'context_length_exceeded' });
    const bad = toPlatformError(
      classifyModelFailure(apiError(400, { code: null, message: "'temperature' too high" }), 'd'),
    );
    expect(bad).toBeInstanceOf(PermanentError);
    expect(bad).toMatchObject({ reason: 'model_bad_request' });
    expect(bad.detail).toContain('temperature');
  });

  it('maps 401 and 403 (and a missing deployment) to configuration errors', () => {
    for (const status of [401, 403, 404]) {
      const error = toPlatformError(
        classifyModelFailure(apiError(status, { code: String(status), message: 'no' }), 'd'),
      );
      expect(error).toBeInstanceOf(ConfigurationError);
    }
  });

  it('maps 429 with retry-after-ms, and 408/5xx/timeouts/resets to RetryAfterError', () => {
    const throttled = classifyModelFailure(
      apiError(429, { code: '429', message: 'slow down' }, { 'retry-after-ms': '1234', 'retry-after': '2' }),
      'd',
    );
    expect(throttled).toMatchObject({ kind: 'throttled', retryAfterMs: 1_234 });
    const seconds = classifyModelFailure(
      apiError(429, { code: '429', message: 'slow down' }, { 'retry-after': '7' }),
      'd',
    );
    expect(seconds.retryAfterMs).toBe(7_000);
    for (const status of [408, 500, 502, 503, 504]) {
      expect(toPlatformError(classifyModelFailure(apiError(status, { message: 'x' }), 'd'))).toBeInstanceOf(
        RetryAfterError,
      );
    }
    expect(classifyModelFailure(new APIConnectionTimeoutError(), 'd')).toMatchObject({
      kind: 'transient',
      reason: 'model_timeout',
    });
    expect(classifyModelFailure(new APIConnectionError({ message: 'ECONNRESET' }), 'd')).toMatchObject({
      kind: 'transient',
      reason: 'model_connection_failed',
    });
  });

  it('reads retry-after as seconds or an HTTP date, and treats -1 remaining as unknown', () => {
    expect(
      parseRetryAfterMs(
        headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }),
        Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'),
      ),
    ).toBe(10_000);
    expect(parseRetryAfterMs(headers({}))).toBeUndefined();
    expect(
      parseRateLimit(
        headers({ 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-remaining-requests': '7' }),
      ),
    ).toEqual({
      remainingRequests: 7,
    });
  });
});

describe('attempt policy', () => {
  const state = { attempt: 2, maxAttempts: 5, deadlineAt: 1_000_000, now: 0 };

  it('does not spend attempts on waiting for quota, 429s or open circuits', () => {
    const paced = new RetryAfterError('paced', 700, 'quota_paced');
    expect(consumesAttempt(paced)).toBe(false);
    expect(consumesAttempt(new RetryAfterError('429', 700, 'model_rate_limited'))).toBe(false);
    expect(decideModelRetry(paced, { ...state, attempt: 4 }, () => 0.5)).toEqual({
      kind: 'retry',
      delayMs: 700,
      nextAttempt: 4,
      reason: 'quota_paced',
    });
  });

  it('spends attempts on failures, backs off no sooner than asked, and fails when the budget is spent', () => {
    const failure = new RetryAfterError('503', 100, 'model_http_503');
    const decision = decideModelRetry(failure, state, () => 0.5);
    expect(decision).toEqual({ kind: 'retry', delayMs: 2_000, nextAttempt: 3, reason: 'model_http_503' });
    expect(decideModelRetry(failure, { ...state, attempt: 4 })).toMatchObject({
      kind: 'fail',
      reason: 'attempts_exhausted',
    });
  });

  it('fails permanent errors at once and retries that would end after the deadline', () => {
    expect(decideModelRetry(new PermanentError('no', 'content_filter'), state)).toMatchObject({
      kind: 'fail',
      reason: 'content_filter',
    });
    expect(
      decideModelRetry(new RetryAfterError('paced', 5_000, 'quota_paced'), { ...state, deadlineAt: 4_000 }),
    ).toMatchObject({
      kind: 'fail',
      reason: 'deadline_exceeded',
    });
  });
});

describe('tokens, usage and cost', () => {
  it('prices a request as prompt tokens plus max_tokens', () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hello world' },
    ];
    // 3 priming + per message 3 + role + content tokens.
    expect(countPromptTokens(messages)).toBe(3 + (3 + 1 + 3) + (3 + 1 + 2));
    expect(quotaCost({ messages, max_tokens: 100 }, 1024)).toBe(countPromptTokens(messages) + 100);
    expect(quotaCost({ messages }, 1024)).toBe(countPromptTokens(messages) + 1024);
  });

  it('computes cost with the cached rate and the longest matching model name', () => {
    const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 400_000 };
    // gpt-4o-mini: 600k × 0.15 + 400k × 0.075 + 1M × 0.6 per million
    expect(costOf(usage, 'gpt-4o-mini-2024-07-18', DEFAULT_PRICE_TABLE)).toBeCloseTo(0.09 + 0.03 + 0.6, 8);
    expect(costOf(usage, 'gpt-4o-2024-11-20', DEFAULT_PRICE_TABLE)).toBeCloseTo(1.5 + 0.5 + 10, 8);
    expect(costOf(usage, 'llama3', DEFAULT_PRICE_TABLE)).toBeUndefined();
  });
});

describe('configuration', () => {
  const base = {
    COSMOS_ENDPOINT: 'http://localhost:8081',
    ServiceBusConnection: 'Endpoint=sb://x/;UseDevelopmentEmulator=true',
    PIPELINE_ENVIRONMENT: 'local',
  };

  it('parses MODEL_POOLS and MODEL_PRICES JSON with defaults', () => {
    const config = parseConfig({
      ...base,
      MODEL_POOLS: JSON.stringify({
        chat: [{ name: 'ptu', endpoint: 'https://r.openai.azure.com', tpm: 100_000 }],
      }),
    });
    expect(config.MODEL_POOLS['chat']![0]).toMatchObject({
      kind: 'azure',
      auth: 'entra',
      priority: 0,
      weight: 1,
      tokenWindowMs: 60_000,
      requestWindowMs: 10_000,
    });
    expect(config.MODEL_PRICES['gpt-4o-mini']).toBeDefined();
  });

  it('names the variable when MODEL_POOLS is not valid JSON or not a valid pool', () => {
    expect(() => parseConfig({ ...base, MODEL_POOLS: '{nope' })).toThrow(/MODEL_POOLS/);
    expect(() => parseConfig({ ...base, MODEL_POOLS: JSON.stringify({ chat: [] }) })).toThrow(/MODEL_POOLS/);
  });
});

describe('simulator limiter', () => {
  it('counts tokens over the token window and requests over the shorter request window', async () => {
    const { SlidingWindowLimiter } = await import('../../../local/model-simulator/rate-limiter.js');
    // 6,000 TPM over a minute; 120 RPM over 1 s windows = 2 requests per second.
    const limiter = new SlidingWindowLimiter(6_000, 120, { tokenWindowMs: 60_000, requestWindowMs: 1_000 });
    expect(limiter.tryAcquire(0, 1_000).admitted).toBe(true);
    expect(limiter.tryAcquire(10, 1_000).admitted).toBe(true);
    const byRequests = limiter.tryAcquire(20, 1_000);
    expect(byRequests).toMatchObject({ admitted: false, limitedBy: 'requests', retryAfterMs: 980 });
    expect(limiter.tryAcquire(1_000, 1_000).admitted).toBe(true);
    expect(limiter.tryAcquire(2_000, 2_000).admitted).toBe(true); // 5,000 of 6,000 tokens used
    const byTokens = limiter.tryAcquire(3_000, 2_000);
    expect(byTokens).toMatchObject({ admitted: false, limitedBy: 'tokens', retryAfterMs: 57_000 });
    // Remaining tokens are reported in per-minute units: 1,000 left of the minute's 6,000.
    expect(byTokens.remainingTokens).toBe(1_000);
  });
});

describe('quota budget adaptation', () => {
  const budget = () =>
    new QuotaBudget({
      tokensPerMinute: 60_000,
      requestsPerMinute: 600,
      tokenWindowMs: 1_000,
      requestWindowMs: 1_000,
      share: 1,
    });

  it('counts a charge from when the request actually left, not from when it was reserved', () => {
    const b = budget();
    const r = b.reserve(1_000, 0);
    b.restamp(r, 300); // e.g. the SDK fetched an Entra token first
    expect(b.waitMs(10, 1_100)).toBeGreaterThan(0);
    expect(b.waitMs(10, 1_400)).toBe(0);
  });

  it('releases a reservation the service refused, since a 429 charges nothing', () => {
    const b = budget();
    const r = b.reserve(900, 0);
    expect(b.waitMs(200, 10)).toBeGreaterThan(0);
    b.release(r);
    b.onThrottled(5, 10, r.at);
    expect(b.waitMs(200, 20)).toBe(0);
  });

  it('widens its expiry margin when a 429 shows the service lagging behind, and narrows it on success', () => {
    const b = budget();
    const base = b.snapshot(0).marginMs;
    const r = b.reserve(100, 1_000);
    b.onThrottled(80, 1_010, r.at); // the service frees the quota 90 ms after we thought it free
    const widened = b.snapshot(1_010).marginMs;
    expect(widened).toBeGreaterThan(base);
    for (let i = 0; i < 500; i += 1) b.onResponse(b.reserve(1, 5_000 + i * 10), {}, 5_000 + i * 10);
    expect(b.snapshot(10_000).marginMs).toBeLessThan(widened);
  });

  it('counts tokens and requests over their own windows', () => {
    const b = new QuotaBudget({
      tokensPerMinute: 6_000,
      requestsPerMinute: 120,
      tokenWindowMs: 60_000,
      requestWindowMs: 1_000,
      share: 1,
      expiryMarginMs: 0,
    });
    b.reserve(1_000, 0);
    b.reserve(1_000, 0);
    expect(b.waitMs(1_000, 0)).toBe(1_000); // two requests per second
    expect(b.waitMs(1_000, 1_000)).toBe(0);
    b.reserve(3_500, 1_000);
    expect(b.waitMs(1_000, 2_000)).toBe(58_000); // 5,500 of 6,000 tokens until the first leaves
  });
});
